#!/usr/bin/env bash
# The main job: installs what is missing, then brings up a local knmstate cluster with simulated nodes
# and keeps it up until Ctrl-C, which tears everything down. Options go to hack/demo.ts (--nodes N).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec node hack/demo.ts "$@"
