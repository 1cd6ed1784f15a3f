#!/usr/bin/env bash
# Builds the test control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler, etcd, kwok) and the real node (kubelet, kube-proxy) from the Go module proxy into a cache directory
# outside the repository, for test/cluster/harness.mjs.
#
#   bash scripts/build-control-plane.sh [--force]
#
# Environment:
#   CREG_CP_DIR  output directory (default:
#                $HOME/.cache/creg-chart/control-plane/<version stamp>)
#   GOMODCACHE, GOCACHE, GOPROXY  honoured as usual by go.
#
# Versions are pinned in test/cluster/tools/versions.env and in the go.mod/go.sum
# of the two wrapper modules beside it. When every binary already exists for
# the pinned versions the script does nothing (CI caches this directory).
set -euo pipefail

start=$(date +%s)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$repo/test/cluster/tools"
# shellcheck source=../test/cluster/tools/versions.env
. "$tools/versions.env"

stamp="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_node"
out="${CREG_CP_DIR:-${HOME}/.cache/creg-chart/control-plane/${stamp}}"
bins=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy etcd kwok)

elapsed() { echo $(( $(date +%s) - start )); }
log() { echo "[build-control-plane +$(elapsed)s] $*"; }

force=0
[ "${1:-}" = "--force" ] && force=1

complete=1
for b in "${bins[@]}"; do [ -x "$out/$b" ] || complete=0; done
if [ "$complete" = 1 ] && [ "$force" = 0 ] && [ "$(cat "$out/STAMP" 2>/dev/null)" = "$stamp" ]; then
  log "control plane $stamp already built in $out; nothing to do"
  log "done in $(elapsed) s"
  exit 0
fi

command -v go >/dev/null || { echo "go not found on PATH (Go >= 1.24 needed)" >&2; exit 1; }
log "go: $(go version)"
log "building $stamp into $out"
mkdir -p "$out"

# Static binaries, no cgo; GOTOOLCHAIN=local: build with the installed Go and
# never try to download another toolchain. -p 2 keeps memory and load sane
# on a 2-core machine.
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
# Modules come from the Go module proxy only: drop go's fallback to cloning
# from version control ("direct"); go.sum pins every module's hash.
proxy=$(go env GOPROXY)
proxy=${proxy%,direct}; proxy=${proxy%|direct}
case "$proxy" in
  ''|direct|off) echo "GOPROXY is '$(go env GOPROXY)'; set it to a Go module proxy (e.g. https://proxy.golang.org)" >&2; exit 1 ;;
esac
export GOPROXY="$proxy"
log "module proxy: $GOPROXY"
common=(-trimpath -p 2)
vpkg=k8s.io/component-base/version
minor=${K8S_VERSION#v*.}; minor=${minor%%.*}
major=${K8S_VERSION#v}; major=${major%%.*}
k8s_ldflags="-s -w -X ${vpkg}.gitVersion=${K8S_VERSION} -X ${vpkg}.gitMajor=${major} -X ${vpkg}.gitMinor=${minor} -X ${vpkg}.gitTreeState=clean -X ${vpkg}.buildDate=1970-01-01T00:00:00Z"

tmp="$out/.partial"
rm -rf "$tmp"; mkdir -p "$tmp"

# go build fetches only the modules these packages need (go.sum pins them).
log "compiling kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, etcd (k8s ${K8S_VERSION}, etcd ${ETCD_VERSION}); fetches modules first on a cold cache"
(cd "$tools/controlplane" && go build "${common[@]}" -ldflags "$k8s_ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubelet \
  k8s.io/kubernetes/cmd/kube-proxy \
  creg-chart/test/cluster/tools/controlplane/cmd/etcd)

log "compiling kwok ${KWOK_VERSION}"
(cd "$tools/kwok" && go build "${common[@]}" -ldflags "-s -w" -o "$tmp/" sigs.k8s.io/kwok/cmd/kwok)

for b in "${bins[@]}"; do mv -f "$tmp/$b" "$out/$b"; done
rmdir "$tmp"
echo "$stamp" > "$out/STAMP"
log "built: $(cd "$out" && ls -s --block-size=M "${bins[@]}" | tr '\n' ' ')"
"$out/kube-apiserver" --version || true
"$out/etcd" --version | head -1 || true
log "done in $(elapsed) s"
