#!/usr/bin/env bash
# The whole test suite: installs what is missing, then runs jest (which starts and stops every server
# the tests need) and ends with "N passed, N failed". Arguments go to jest (e.g. a test path).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec node hack/test.ts "$@"
