#!/usr/bin/env bash
# Prints the path of a headless-capable Chromium for the Temporal UI check (test/ui/), installing
# Debian's `chromium` (and a font, so that screenshots show text) when it is missing. Set
# KNMSTATE_CHROMIUM to use another binary. Fails with the reason when it cannot install.
#
#   hack/chromium.sh      # -> /usr/bin/chromium
set -euo pipefail

log() { printf '[chromium] %s\n' "$*" >&2; }
die() { printf '[chromium] error: %s\n' "$*" >&2; exit 1; }

if [ -n "${KNMSTATE_CHROMIUM:-}" ]; then
  [ -x "$KNMSTATE_CHROMIUM" ] || die "KNMSTATE_CHROMIUM=$KNMSTATE_CHROMIUM is not an executable"
  echo "$KNMSTATE_CHROMIUM"; exit 0
fi

find_chromium() { command -v chromium || command -v chromium-browser || true; }
path=$(find_chromium)
if [ -z "$path" ]; then
  [ "$(id -u)" = 0 ] || die "chromium is missing; run: sudo apt-get install -y --no-install-recommends chromium fonts-liberation"
  command -v apt-get >/dev/null || die "chromium is missing and this is not a Debian-like system: install Chromium and set KNMSTATE_CHROMIUM to its path"
  # The same lock hack/tools.sh takes around apt, so the two never run apt at once.
  cache=${KNMSTATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/knmstate}
  mkdir -p "$cache"
  exec {fd}>"$cache/.apt.lock"
  flock "$fd"
  path=$(find_chromium)
  if [ -z "$path" ]; then
    log "installing chromium from Debian (--no-install-recommends, with fonts-liberation); takes a minute or two"
    out=$(mktemp)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends chromium fonts-liberation; } >"$out" 2>&1; then
      tail -n 20 "$out" >&2; rm -f "$out"
      die "apt-get install chromium failed (output above)"
    fi
    rm -f "$out"
    path=$(find_chromium)
    [ -n "$path" ] || die "chromium installed but no chromium executable on PATH"
  fi
  exec {fd}>&-
fi
echo "$path"
