#!/usr/bin/env bash
# Builds the third-party judges of test/judges.test.mjs from the Go module
# proxy, once each, into ~/.cache/creg-chart/<name>-<version>/ (versions in
# test/judges/tools/versions.env), one after the other so they do not fight
# over the cores:
#
#   bash scripts/build-judges.sh            # all
#   bash scripts/build-judges.sh trivy      # one of: kube-score trivy ct
#
# Cold times on 2 cores (2026-11-29, other builds running): kube-score about
# 4 min, ct about 2 min, trivy 25-75 min (the biggest; GOEXPERIMENT=jsonv2 is
# required by v0.74). Cached: well under a second. yamllint (for ct) comes
# from Debian (.ci/run installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../test/judges/tools/versions.env
. test/judges/tools/versions.env
root="${CREG_TOOLS_DIR:-${HOME}/.cache/creg-chart}"
want=("$@"); [ ${#want[@]} -gt 0 ] || want=(kube-score ct trivy)

build_ct() {
  local version=${CT##*@} out
  out="$root/ct-$version"
  if [ "$(cat "$out/STAMP" 2>/dev/null)" = "$CT" ]; then
    echo "[build-judges] ct $version already built" >&2
    return
  fi
  local start; start=$(date +%s)
  echo "[build-judges] ct $version from the wrapper module test/judges/tools/ct -> $out" >&2
  grep -q "github.com/helm/chart-testing/v3 $version" test/judges/tools/ct/go.mod \
    || { echo "[build-judges] test/judges/tools/ct/go.mod does not pin chart-testing $version (versions.env says $CT)" >&2; exit 1; }
  rm -rf "$out.partial"; mkdir -p "$out.partial/etc"
  (cd test/judges/tools/ct && env CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod \
    nice -n 10 go build -trimpath -ldflags "-s -w" -o "$out.partial/ct" github.com/helm/chart-testing/v3/ct)
  # ct's own yamllint and Chart.yaml configuration, as released with it.
  local etc
  etc="$(cd test/judges/tools/ct && go list -m -f '{{.Dir}}' github.com/helm/chart-testing/v3)/etc"
  cp "$etc/lintconf.yaml" "$etc/chart_schema.yaml" "$out.partial/etc/"
  chmod -R u+w "$out.partial/etc"
  echo "$CT" > "$out.partial/STAMP"
  rm -rf "$out"; mv "$out.partial" "$out"
  echo "[build-judges] ct $version built in $(( $(date +%s) - start )) s" >&2
}

for w in "${want[@]}"; do
  case "$w" in
    kube-score) bash scripts/build-go-tool.sh kube-score "$KUBE_SCORE" >/dev/null ;;
    trivy) bash scripts/build-go-tool.sh trivy "$TRIVY" GOEXPERIMENT=jsonv2 >/dev/null ;;
    ct) build_ct ;;
    *) echo "[build-judges] unknown judge '$w' (kube-score, ct, trivy)" >&2; exit 2 ;;
  esac
done
