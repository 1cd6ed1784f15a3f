# node-mirror: point this node's container runtimes at the release's
# pull-through mirror (mirror mode, docs/mirror.md). The chart puts this file
# in front of node-trust.sh in the same `sh -c` script: it only defines
# functions; node-trust.sh calls mirror_round once a round, after its certs.d
# work, with ADDRESS (<ClusterIP>:<port>) resolved. POSIX sh (busybox).
#
# containerd (CONTAINERD_DIR set), for each name H in MIRROR_HOSTS:
#   <dir>/<H>/.creg-chart-mirror  marker "<namespace>/<fullname>" (written first)
#   <dir>/<H>/ca.crt              the registry's CA (0644)
#   <dir>/<H>/hosts.toml          server = MIRROR_UPSTREAM (the fallback), and
#                                 as its first [host] https://<ADDRESS> with
#                                 capabilities pull+resolve and that ca.crt
# CRI-O/podman (CONTAINERS_REGISTRIES_DIR set):
#   <dir>/creg-chart_<namespace>_<fullname>.conf
#                                 one [[registry]] per H with a
#                                 [[registry.mirror]] at <ADDRESS>; its first
#                                 lines carry the marker "# creg-chart-owner: ..."
#                                 (the mirror's CA comes from node-trust.sh's
#                                 /etc/containers/certs.d/<ADDRESS>/ca.crt)
# Ownership: a <H> directory or drop-in is ours only with our marker. A
# directory without it that holds anything, one marked by another release,
# a symlink, or another drop-in that already configures H, is never touched:
# the host is reported (log, MIRROR_STATUS_FILE, pod not ready) and skipped.
# Ours are rewritten when the ClusterIP, port, CA or upstream change, and
# removed when H leaves MIRROR_HOSTS, mirror mode is turned off, or ACTION is
# remove. A different marker name from node-trust.sh's .creg-chart-owner keeps
# node-trust.sh's cleanup of old <ip>:<port> directories away from these.
#
# Inputs (environment): MIRROR_HOSTS (space-separated; empty: mirror mode off,
# remove ours), MIRROR_UPSTREAM (https://host[:port]), CONTAINERS_REGISTRIES_DIR,
# MIRROR_STATUS_FILE (problems of the last round, one a line; shown by the
# readiness probe); and node-trust.sh's OWNER, ACTION, ADDRESS, CA_FILE,
# CONTAINERD_DIR, CONTAINERD_HOST_DIR, and its helpers log, say_once, put,
# put_text and $WORK.
MIRROR_MARKER=.creg-chart-mirror
MIRROR_HOSTS="${MIRROR_HOSTS:-}"
MIRROR_UPSTREAM="${MIRROR_UPSTREAM:-}"
MIRROR_STATUS_FILE="${MIRROR_STATUS_FILE:-}"
mirror_problems=""

mirror_check_inputs() {
  for h in $MIRROR_HOSTS; do
    case "$h" in
      *[!A-Za-z0-9.:-]*|.*|-*|*..*) log "MIRROR_HOSTS entry '$h' is not a registry host name"; exit 2 ;;
    esac
  done
  if [ -n "$MIRROR_HOSTS" ]; then
    case "$MIRROR_UPSTREAM" in
      https://*|http://*) ;;
      *) log "MIRROR_UPSTREAM must be the upstream's https:// URL, not '$MIRROR_UPSTREAM'"; exit 2 ;;
    esac
    case "$MIRROR_UPSTREAM" in
      *[!A-Za-z0-9.:/-]*) log "MIRROR_UPSTREAM '$MIRROR_UPSTREAM' holds characters a URL of a registry host does not"; exit 2 ;;
    esac
  fi
  case "${CONTAINERS_REGISTRIES_DIR:-}" in
    '') ;;
    /|*/../*|*/..|*/./*|*/.) log "refusing directory '$CONTAINERS_REGISTRIES_DIR'"; exit 2 ;;
    /*) ;;
    *) log "directory '$CONTAINERS_REGISTRIES_DIR' is not absolute"; exit 2 ;;
  esac
}

# mirror_problem TEXT: log once, remember for the status file, fail the round.
mirror_problem() {
  say_once "$1"
  mirror_problems="$mirror_problems$1
"
}

mirror_wanted() {
  [ "$ACTION" = install ] || return 1
  for w in $MIRROR_HOSTS; do [ "$w" = "$1" ] && return 0; done
  return 1
}

mirror_is_ours() { [ -f "$1/$MIRROR_MARKER" ] && [ ! -L "$1/$MIRROR_MARKER" ] && [ "$(cat "$1/$MIRROR_MARKER" 2>/dev/null)" = "$OWNER" ]; }

mirror_remove_dir() {
  rm -f "$1/hosts.toml" "$1/ca.crt" "$1/.hosts.toml.tmp."* "$1/.ca.crt.tmp."* "$1/.$MIRROR_MARKER.tmp."* || return 1
  rm -f "$1/$MIRROR_MARKER" || return 1
  if rmdir "$1" 2>/dev/null; then
    log "removed mirror configuration $1"
  else
    log "removed our mirror files from $1 (other files remain, directory kept)"
  fi
}

# mirror_containerd DIR: the hosts.toml of every mirror host, and cleanup. 1 on a problem.
mirror_containerd() {
  dir="$1"; mrc=0
  if [ "$ACTION" = install ]; then
    for h in $MIRROR_HOSTS; do
      target="$dir/$h"
      shown="$CONTAINERD_HOST_DIR/$h" # as the node sees it, for messages
      if [ "$h" = "$ADDRESS" ]; then
        mirror_problem "left alone: mirror host $h is the registry's own address"
        mrc=1; continue
      fi
      if [ -L "$target" ] || { [ -e "$target" ] && [ ! -d "$target" ]; }; then
        mirror_problem "left alone: $shown is not a directory creg-chart made; pulls of $h do not use the mirror on this node"
        mrc=1; continue
      fi
      if [ -d "$target" ] && ! mirror_is_ours "$target"; then
        if [ -f "$target/$MIRROR_MARKER" ]; then
          mirror_problem "left alone: $shown is the mirror configuration of $(cat "$target/$MIRROR_MARKER" 2>/dev/null), not of $OWNER; one release per upstream host"
          mrc=1; continue
        fi
        if [ -n "$(ls -A "$target" 2>/dev/null)" ]; then
          mirror_problem "left alone: $shown/hosts.toml (or other files there) was not written by creg-chart; pulls of $h do not use the mirror on this node until it is removed"
          mrc=1; continue
        fi
      fi
      hostdir="$CONTAINERD_HOST_DIR/$h"
      # With auth (nodeTrust.pullCredentials), the mirror host gets node-trust.sh's
      # Authorization header table too, and the file is then 0600.
      mmode=0644
      auth_header || mrc=1
      [ -z "$HEADER" ] || mmode=0600
      if mkdir -p "$target" && put_text "$target/$MIRROR_MARKER" "$OWNER" && put "$target/ca.crt" "$CA_FILE" \
        && put_text "$target/hosts.toml" "# Written by creg-chart for $OWNER (node trust DaemonSet, mirror mode).
# Pulls of $h try the in-cluster pull-through mirror first, then the upstream.
server = \"$MIRROR_UPSTREAM\"

[host.\"https://$ADDRESS\"]
  capabilities = [\"pull\", \"resolve\"]
  ca = \"$hostdir/ca.crt\"$HEADER" "$mmode"; then
        :
      else
        mirror_problem "error: cannot write the mirror configuration in $shown"
        mrc=1
      fi
    done
  fi
  for old in "$dir"/*; do
    [ -d "$old" ] && [ ! -L "$old" ] || continue
    mirror_is_ours "$old" || continue
    mirror_wanted "${old##*/}" && continue
    mirror_remove_dir "$old" || mrc=1
  done
  return "$mrc"
}

# mirror_containers DIR: the CRI-O/podman registries.conf.d drop-in. 1 on a problem.
mirror_containers() {
  dir="$1"; mrc=0
  ns="${OWNER%%/*}"; full="${OWNER#*/}"
  file="$dir/creg-chart_${ns}_$full.conf"
  mark="# creg-chart-owner: $OWNER"
  ours=no
  if [ -L "$file" ] || { [ -e "$file" ] && [ ! -f "$file" ]; }; then
    mirror_problem "left alone: $file is not a file creg-chart made"
    return 1
  fi
  if [ -f "$file" ]; then
    if grep -qxF "$mark" "$file" 2>/dev/null; then
      ours=yes
    else
      mirror_problem "left alone: $file was not written by creg-chart (no line '$mark')"
      return 1
    fi
  fi
  body=""
  if [ "$ACTION" = install ]; then
    for h in $MIRROR_HOSTS; do
      # Another drop-in that configures the same registry wins or loses by
      # file name order: never compete with it.
      other=""
      hre="$(printf '%s' "$h" | sed 's/[.]/[.]/g')"
      for f in "$dir"/*.conf; do
        [ -f "$f" ] && [ "$f" != "$file" ] || continue
        if grep -qE "^[[:space:]]*(prefix|location)[[:space:]]*=[[:space:]]*\"$hre(/[^\"]*)?\"" "$f" 2>/dev/null; then other="$f"; break; fi
      done
      if [ -n "$other" ]; then
        mirror_problem "left alone: $other already configures $h; CRI-O/podman pulls of $h do not use the mirror on this node"
        mrc=1; continue
      fi
      body="$body

[[registry]]
prefix = \"$h\"
location = \"$h\"

[[registry.mirror]]
location = \"$ADDRESS\""
    done
  fi
  if [ -n "$body" ]; then
    put_text "$file" "$mark
# Written by creg-chart for $OWNER (node trust DaemonSet, mirror mode): pulls
# of these registries try the in-cluster pull-through mirror first. The
# mirror's CA is in the containers certs.d directory for $ADDRESS.$body" || { mirror_problem "error: cannot write $file"; mrc=1; }
  elif [ "$ours" = yes ]; then
    if rm -f "$file"; then log "removed mirror configuration $file"; else mrc=1; fi
  fi
  return "$mrc"
}

# mirror_round: once a round, after node-trust.sh's certs.d work. 1 on a problem.
mirror_round() {
  rrc=0
  mirror_problems=""
  if [ -n "${CONTAINERD_DIR:-}" ] && [ -d "$CONTAINERD_DIR" ]; then
    mirror_containerd "$CONTAINERD_DIR" || rrc=1
  fi
  if [ -n "${CONTAINERS_REGISTRIES_DIR:-}" ]; then
    if [ -d "$CONTAINERS_REGISTRIES_DIR" ]; then
      mirror_containers "$CONTAINERS_REGISTRIES_DIR" || rrc=1
    elif [ -n "$MIRROR_HOSTS" ]; then
      mirror_problem "error: $CONTAINERS_REGISTRIES_DIR (CRI-O/podman registries.conf.d) is not mounted"
      rrc=1
    fi
  fi
  if [ -n "$MIRROR_STATUS_FILE" ]; then
    if [ -n "$mirror_problems" ]; then
      printf '%s' "$mirror_problems" > "$MIRROR_STATUS_FILE" 2>/dev/null
    else
      rm -f "$MIRROR_STATUS_FILE"
    fi
  fi
  return "$rrc"
}
