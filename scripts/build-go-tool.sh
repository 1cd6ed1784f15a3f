#!/usr/bin/env bash
# Builds one Go command from the Go module proxy, once, into a cache directory
# keyed by its version, for the tests and the CI judges:
#
#   bash scripts/build-go-tool.sh NAME PACKAGE@VERSION [GOEXPERIMENT=...]
#   -> ~/.cache/creg-chart/NAME-VERSION/<binary>
#
# e.g. bash scripts/build-go-tool.sh registry github.com/distribution/distribution/v3/cmd/registry@v3.1.2
#
# Prints the directory on its last line. Does nothing when the directory is
# complete (a STAMP file is written last). All tools share go's default module
# and build caches. Environment: CREG_TOOLS_DIR (default ~/.cache/creg-chart).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 NAME PACKAGE@VERSION [VAR=VALUE ...]" >&2; exit 2; }
name=$1 spec=$2; shift 2
version=${spec##*@}
case "$version" in ''|"$spec") echo "[build-go-tool] $spec: no @version" >&2; exit 2 ;; esac
root="${CREG_TOOLS_DIR:-${HOME}/.cache/creg-chart}"
out="$root/$name-$version"
if [ "$(cat "$out/STAMP" 2>/dev/null)" = "$spec" ]; then
  echo "[build-go-tool] $name $version already built" >&2
  echo "$out"
  exit 0
fi
command -v go >/dev/null || { echo "[build-go-tool] go is not installed; $name cannot be built (install Go >= 1.24)" >&2; exit 1; }
proxy=$(go env GOPROXY); proxy=${proxy%,direct}; proxy=${proxy%|direct}
case "$proxy" in ''|direct|off) echo "[build-go-tool] GOPROXY is '$(go env GOPROXY)'; set it to a Go module proxy" >&2; exit 1 ;; esac
start=$(date +%s)
echo "[build-go-tool] go install $spec -> $out (cold builds take minutes)" >&2
rm -rf "$out.partial"; mkdir -p "$out.partial"
env CGO_ENABLED=0 GOTOOLCHAIN=local GOPROXY="$proxy" GOBIN="$out.partial" "$@" \
  nice -n 10 go install -trimpath -ldflags "-s -w" "$spec" >&2
echo "$spec" > "$out.partial/STAMP"
rm -rf "$out"; mv "$out.partial" "$out"
echo "[build-go-tool] $name $version built in $(( $(date +%s) - start )) s" >&2
echo "$out"
