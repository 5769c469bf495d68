# The node agent image: Node 24 running the TypeScript sources directly (type stripping, no build
# step), nmstatectl, and the tools the agent runs on the node (ip, ping, unshare).
#
#   docker build -f deploy/images/node-agent.Dockerfile -t <registry>/knmstate/node-agent:<tag> .
#
# The build context is the repository root; node-agent.Dockerfile.dockerignore (next to this file)
# keeps it to what the image needs.

ARG NODE_IMAGE=node:24-trixie-slim
ARG RUST_IMAGE=rust:1-slim-trixie

# nmstatectl from crates.io, the version the test suite runs (hack/tools.sh). Pure Rust: it talks to
# NetworkManager over D-Bus and to the kernel over netlink, no C libraries needed.
FROM ${RUST_IMAGE} AS nmstatectl
ARG NMSTATE_VERSION=2.2.62
RUN cargo install --locked --root /opt/nmstatectl nmstatectl --version "${NMSTATE_VERSION}"

# Production dependencies only, from the lock file.
FROM ${NODE_IMAGE} AS deps
WORKDIR /opt/knmstate
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
# iproute2: ip (kernel view of links, addresses, routes); iputils-ping: the ping probe;
# util-linux: unshare and nsenter; ca-certificates: TLS to the API server and Temporal;
# network-manager: only its nmcli, which reads the host NetworkManager's devices and profiles over D-Bus
# for the exact restore (the daemon in the package never runs in the container).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 iputils-ping util-linux ca-certificates network-manager \
 && rm -rf /var/lib/apt/lists/*
COPY --from=nmstatectl /opt/nmstatectl/bin/nmstatectl /usr/local/bin/nmstatectl
WORKDIR /opt/knmstate
COPY --from=deps /opt/knmstate/node_modules ./node_modules
COPY package.json ./
COPY crd ./crd
COPY activities ./activities
COPY workflows ./workflows
COPY workers ./workers
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=/opt/knmstate/compile-cache
# Warm the compile cache now: at run time the TypeScript stripper is then never loaded (~17 MiB of
# RSS on every node).
RUN node --input-type=module -e "await import('./workers/node-agent-host.ts'); await import('./activities/kube/client.ts'); await import('./workers/runtime/index.ts');"
# Root: nmstatectl changes the node's network and NetworkManager only obeys root on its bus (the
# DaemonSet runs the container privileged).
ENTRYPOINT ["node", "workers/node-agent.ts"]
