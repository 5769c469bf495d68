#!/usr/bin/env bash
# Makes a clone ready to run: the pinned toolchain (hack/tools.sh, cached outside the clone) and the
# npm dependencies (including Node 24 itself, from the npm package `node`). Cheap when all is there.
# Sourced by hack/demo.sh and hack/test.sh; prints nothing when there is nothing to do.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

[ "$(id -u)" = 0 ] || { echo "knmstate's simulated nodes are network namespaces: run as root" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is required (any Node >= 18 with npm; Node 24 itself comes from npm)" >&2; exit 1; }

hack/tools.sh >/dev/null

# npm ci when node_modules is missing or was installed from another lock file.
stamp=node_modules/.knmstate-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/node ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi
export PATH="$root/node_modules/.bin:$PATH"
