#!/usr/bin/env bash
# Builds crictl (sigs.k8s.io/cri-tools, the kubelet-side CRI client) from the
# Go module proxy into a cache directory outside the repository, for
# test/trust-containerd.test.mjs: it pulls through containerd's CRI plugin,
# the path kubelet uses, with the registry config_path set.
#
#   bash scripts/build-crictl.sh
#
# Environment: CREG_CRICTL_DIR output directory (default
# $HOME/.cache/creg-chart/crictl-<version>); GOMODCACHE, GOCACHE, GOPROXY as usual.
# Does nothing when the binary already exists. Cold: about 2.5 minutes on 2 cores
# (shares the module cache with scripts/build-control-plane.sh).
set -euo pipefail
version=v1.34.0   # matches the control plane's Kubernetes 1.34 (test/cluster/tools/versions.env)
out="${CREG_CRICTL_DIR:-${HOME}/.cache/creg-chart/crictl-${version}}"
if [ -x "$out/crictl" ]; then
  echo "[build-crictl] crictl $version already in $out; nothing to do"
  exit 0
fi
command -v go >/dev/null || { echo "[build-crictl] go is not installed; crictl cannot be built" >&2; exit 1; }
start=$(date +%s)
mkdir -p "$out.partial"
echo "[build-crictl] go install sigs.k8s.io/cri-tools/cmd/crictl@$version -> $out"
GOBIN="$out.partial" CGO_ENABLED=0 go install "sigs.k8s.io/cri-tools/cmd/crictl@$version"
rm -rf "$out"
mv "$out.partial" "$out"
"$out/crictl" --version
echo "[build-crictl] done in $(( $(date +%s) - start )) s"
