#!/usr/bin/env bash
# Makes a clone ready to run: the pinned toolchain (hack/tools.sh, cached outside the clone),
# NetworkManager for the default node mode, and the npm dependencies (including Node 24 itself, from
# the npm package `node`). Cheap when all is there.
# Sourced by hack/demo.sh and hack/test.sh; prints nothing when there is nothing to do.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

[ "$(id -u)" = 0 ] || { echo "knmstate's simulated nodes are network namespaces: run as root" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is required (any Node >= 18 with npm; Node 24 itself comes from npm)" >&2; exit 1; }

# The toolchain (minutes the first time: two source builds) runs in the background while
# NetworkManager and the npm dependencies are installed.
setup_t0=$(date +%s)
hack/tools.sh >/dev/null &
setup_tools_pid=$!
trap 'kill "$setup_tools_pid" 2>/dev/null || true' EXIT

# Simulated nodes run a real NetworkManager each by default (node mode `networkmanager`, the production
# path), so NetworkManager and dbus-daemon get installed here (Debian packages; hack/tools.sh refuses
# where that could take over the host's own network and says why). Asked for explicitly
# (KNMSTATE_NODE_MODE=networkmanager), a refusal is an error; otherwise nodes fall back to kernel mode.
case ${KNMSTATE_NODE_MODE:-} in
  kernel) ;;
  networkmanager) hack/tools.sh networkmanager >/dev/null ;;
  *)
    if ! hack/tools.sh networkmanager >/dev/null; then
      echo "[setup] NetworkManager cannot be installed here (see above): simulated nodes use kernel mode (KNMSTATE_NODE_MODE=kernel)" >&2
      export KNMSTATE_NODE_MODE=kernel
    fi
    ;;
esac

# npm ci when node_modules is missing or was installed from another lock file.
stamp=node_modules/.knmstate-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/node ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

if ! wait "$setup_tools_pid"; then
  echo "[setup] the toolchain could not be installed (see the [tools] lines above)" >&2
  exit 1
fi
trap - EXIT
setup_s=$(( $(date +%s) - setup_t0 ))
[ "$setup_s" -lt 10 ] || echo "[setup] ready in $((setup_s / 60))m$(printf %02d $((setup_s % 60)))s" >&2
export PATH="$root/node_modules/.bin:$PATH"
