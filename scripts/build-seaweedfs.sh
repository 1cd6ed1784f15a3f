#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (a real S3-compatible object store) from the Go
# module proxy into a cache directory outside the repository, for the S3
# storage and garbage-collection tests (test/s3-storage.test.mjs,
# test/gc.test.mjs, test/helpers/s3store.mjs).
#
#   bash scripts/build-seaweedfs.sh
#   -> ~/.cache/creg-chart/seaweedfs-<version>/weed
#
# The version is the one pinned in test/tools/seaweedfs/go.mod (a wrapper
# module: `go install pkg@version` refuses SeaweedFS because its own go.mod has
# a replace directive). Does nothing when the binary exists for that version.
# Environment: CREG_TOOLS_DIR (default ~/.cache/creg-chart); GOMODCACHE,
# GOCACHE, GOPROXY as usual.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod="$repo/test/tools/seaweedfs"
version=$(awk '{ if ($1 == "require") $1 = ""; $0 = $0 } $1 == "github.com/seaweedfs/seaweedfs" { print $2 }' "$mod/go.mod")
[ -n "$version" ] || { echo "[build-seaweedfs] no seaweedfs version in $mod/go.mod" >&2; exit 1; }
root="${CREG_TOOLS_DIR:-${HOME}/.cache/creg-chart}"
out="$root/seaweedfs-$version"
if [ -x "$out/weed" ] && [ "$(cat "$out/STAMP" 2>/dev/null)" = "$version" ]; then
  echo "[build-seaweedfs] weed $version already in $out; nothing to do" >&2
  echo "$out"
  exit 0
fi
command -v go >/dev/null || { echo "[build-seaweedfs] go is not installed; SeaweedFS cannot be built (install Go >= 1.26.6)" >&2; exit 1; }
proxy=$(go env GOPROXY); proxy=${proxy%,direct}; proxy=${proxy%|direct}
case "$proxy" in ''|direct|off) echo "[build-seaweedfs] GOPROXY is '$(go env GOPROXY)'; set it to a Go module proxy" >&2; exit 1 ;; esac
start=$(date +%s)
echo "[build-seaweedfs] building weed $version -> $out (cold: fetches ~440 modules and compiles for tens of minutes on 2 cores)" >&2
rm -rf "$out.partial"; mkdir -p "$out.partial"
(cd "$mod" && env CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly GOPROXY="$proxy" \
  nice -n 10 go build -trimpath -p 2 -ldflags "-s -w" -o "$out.partial/weed" github.com/seaweedfs/seaweedfs/weed) >&2
echo "$version" > "$out.partial/STAMP"
rm -rf "$out"; mv "$out.partial" "$out"
echo "[build-seaweedfs] weed $version built in $(( $(date +%s) - start )) s" >&2
echo "$out"
