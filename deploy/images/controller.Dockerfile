# The rollout controller image: Node 24 running the TypeScript sources directly (type stripping, no
# build step). The rollout workflows are bundled by the Temporal worker from workflows/ at start.
#
#   docker build -f deploy/images/controller.Dockerfile -t <registry>/knmstate/controller:<tag> .
#
# The build context is the repository root; controller.Dockerfile.dockerignore (next to this file)
# keeps it to what the image needs.

ARG NODE_IMAGE=node:24-trixie-slim

# Production dependencies only, from the lock file.
FROM ${NODE_IMAGE} AS deps
WORKDIR /opt/knmstate
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
WORKDIR /opt/knmstate
COPY --from=deps /opt/knmstate/node_modules ./node_modules
COPY package.json ./
COPY crd ./crd
COPY activities ./activities
COPY workflows ./workflows
COPY workers ./workers
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=/opt/knmstate/compile-cache
# Warm the compile cache for the process's own modules (the workflow bundle is built at start).
RUN node --input-type=module -e "await import('./workers/controller/controller.ts'); await import('./workers/runtime/index.ts');"
# The base image's unprivileged user (uid 1000, as the Deployment's securityContext says).
USER node
ENTRYPOINT ["node", "workers/controller.ts"]
