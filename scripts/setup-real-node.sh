#!/usr/bin/env bash
# Installs and builds every piece the real-node cluster tests need
# (test/cluster/realnode.mjs), each step skipped when already done:
#   - Debian packages: containerd, runc, the CNI plugins, iptables, conntrack,
#     skopeo, gcc (for the pause binary)
#   - the control plane with kubelet and kube-proxy (scripts/build-control-plane.sh)
#   - the Distribution registry binary (scripts/build-go-tool.sh)
#   - crictl (scripts/build-crictl.sh)
#   - the four local test images (OCI layout tars, cached in
#     ~/.cache/creg-chart/realnode-images)
#
#   sudo bash scripts/setup-real-node.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
log() { echo "[setup-real-node +$(( $(date +%s) - start ))s] $*"; }

[ "$(id -u)" = 0 ] || { echo "[setup-real-node] run as root: a real node needs root (kubelet, containerd, iptables)" >&2; exit 1; }

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in containerd runc containernetworking-plugins iptables conntrack skopeo gcc libc6-dev binutils; do
  have "$p" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

log "control plane with kubelet and kube-proxy"
bash scripts/build-control-plane.sh
log "Distribution registry binary"
bash scripts/build-go-tool.sh registry github.com/distribution/distribution/v3/cmd/registry@v3.1.2 >/dev/null
log "crictl"
bash scripts/build-crictl.sh
log "test images"
node test/cluster/images.mjs
log "done in $(( $(date +%s) - start )) s"
