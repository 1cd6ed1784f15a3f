# node-trust: make this node's container runtimes trust the registry's CA
# (DESIGN.md section 3 "Node trust"; the seed's manual client-trust step).
# Runs in the node trust DaemonSet (busybox sh; POSIX sh only). For the registry
# address A = <ip>:<port> it keeps, in every configured certs.d directory:
#   <dir>/<A>/ca.crt              the registry's CA (0644)
#   <dir>/<A>/hosts.toml          containerd only (0644), as in DESIGN.md
#   <dir>/<A>/.creg-chart-owner   marker "<namespace>/<fullname>": written by us
# Every file is written to a temporary name and renamed into place (atomic),
# and only when its content differs. Directories of other addresses carrying
# our marker (an old ClusterIP or port) are cleaned up; anything without our
# marker is never touched. containerd reads these files on every pull: it is
# never restarted. src/trust/plan.ts computes the same files for
# `creg-chart trust`; test/trust-script.test.mjs checks both agree.
#
# Inputs (environment only):
#   OWNER                  "<namespace>/<fullname>" written to the marker
#   ACTION                 install (default) or remove (delete what we wrote)
#   CA_FILE                PEM CA (ConfigMap <fullname>-ca, key ca.crt, optional)
#   CLUSTER_IP_FILE        the Service's ClusterIP as the signer read it from the
#                          API (ConfigMap <fullname>-ca, key cluster-ip; follows
#                          a re-created Service); preferred when present
#   PIN_DIR                Secret <fullname>-ca-pin (keys ca.crt.sha256 and
#                          cluster-ip), written by the signer only. When set, the
#                          ConfigMap's CA and ClusterIP are used only if they are
#                          the pinned ones: otherwise nothing is written or
#                          removed and the reason is logged (docs/node-trust.md)
#   SERVICE_HOST           the Service's ClusterIP ($(<SVC>_SERVICE_HOST); a
#                          literal "$(...)" means Kubernetes did not set it)
#   FALLBACK_HOST          service.clusterIP from values (may be empty)
#   REGISTRY_PORT          the Service port
#   CONTAINERD_DIR         where containerd's certs.d is mounted (empty: off)
#   CONTAINERD_HOST_DIR    the same directory as the node sees it (hosts.toml)
#   DOCKER_DIR             where /etc/docker/certs.d is mounted (empty: off)
#   CONTAINERS_DIR         where /etc/containers/certs.d is mounted (empty: off)
#   CHECK_INTERVAL_SECONDS seconds between rounds
#   READY_FILE             touched while the trust files are in place, or while
#                          the CA is not published yet (nothing to trust)
#   AUTH_HEADER_FILE       optional: "Basic <base64>" of the registry's pull user
#                          (pull Secret <fullname>-pull, key authorization);
#                          written as an Authorization header into hosts.toml,
#                          which is then 0600 (nodeTrust.pullCredentials)
# Test hook: MAX_ROUNDS (0 = forever; otherwise exit after that many rounds,
# 0 when the last round succeeded).
set -u
umask 022
log() { echo "node-trust: $*"; }

OWNER="${OWNER:-}"
ACTION="${ACTION:-install}"
CA_FILE="${CA_FILE:-/ca/ca.crt}"
PORT="${REGISTRY_PORT:-}"
INTERVAL="${CHECK_INTERVAL_SECONDS:-60}"
MAX_ROUNDS="${MAX_ROUNDS:-0}"
READY_FILE="${READY_FILE:-}"
MARKER=.creg-chart-owner

case "$OWNER" in
  */*) ;;
  *) log "OWNER must be <namespace>/<fullname>"; exit 2 ;;
esac
case "$ACTION" in install|remove) ;; *) log "ACTION must be install or remove, not '$ACTION'"; exit 2 ;; esac
case "$INTERVAL" in ''|*[!0-9]*) log "CHECK_INTERVAL_SECONDS must be a number"; exit 2 ;; esac
case "$MAX_ROUNDS" in ''|*[!0-9]*) log "MAX_ROUNDS must be a number"; exit 2 ;; esac
[ "$INTERVAL" -gt 0 ] || INTERVAL=1
for d in "${CONTAINERD_DIR:-}" "${DOCKER_DIR:-}" "${CONTAINERS_DIR:-}" "${CONTAINERD_HOST_DIR:-}"; do
  case "$d" in
    '') ;;
    /|*/../*|*/..|*/./*|*/.) log "refusing directory '$d'"; exit 2 ;;
    /*) ;;
    *) log "directory '$d' is not absolute"; exit 2 ;;
  esac
done
# Mirror mode (files/node-mirror.sh, placed before this script by the chart).
mirror_check_inputs
if [ -n "${CONTAINERD_DIR:-}" ] && [ -z "${CONTAINERD_HOST_DIR:-}" ]; then
  CONTAINERD_HOST_DIR="$CONTAINERD_DIR"
fi

# The registry address, worked out every round (the ConfigMap file can change):
# the ClusterIP the signer published (read from the API, so it follows a
# re-created Service), else the Service env Kubernetes gives pods created after
# the Service, else the fixed clusterIP from values.
if [ "$ACTION" = install ]; then
  case "$PORT" in ''|*[!0-9]*) log "REGISTRY_PORT must be a number"; exit 2 ;; esac
fi
# is_ip_literal TEXT: an IPv4 dotted quad or an IPv6 address (hex groups and
# colons, an IPv4 tail allowed); never a host name.
is_ip_literal() {
  case "$1" in
    *:*)
      case "$1" in *[!0-9A-Fa-f:.]*|*:::*) return 1 ;; esac
      case "$1" in *.*) is_ip_literal "${1##*:}" || return 1 ;; esac
      return 0 ;;
    *.*.*.*.*|'') return 1 ;;
    *.*.*.*)
      rest="$1."
      for i in 1 2 3 4; do
        octet="${rest%%.*}"; rest="${rest#*.}"
        case "$octet" in ''|*[!0-9]*|0?*) [ "$octet" = 0 ] || return 1 ;; esac
        [ "${#octet}" -le 3 ] && [ "$octet" -le 255 ] || return 1
      done
      [ -z "$rest" ] ;;
    *) return 1 ;;
  esac
}

ENV_HOST="${SERVICE_HOST:-}"
case "$ENV_HOST" in '$('*) ENV_HOST="" ;; esac
[ -n "$ENV_HOST" ] || ENV_HOST="${FALLBACK_HOST:-}"
if [ -n "$ENV_HOST" ] && ! is_ip_literal "$ENV_HOST"; then
  log "unexpected registry host '$ENV_HOST' (not an IP address)"; exit 2
fi
PIN_DIR="${PIN_DIR:-}"

# verify_published: the CA file must be the one the signer pinned (sha256 in
# PIN_DIR, a Secret only the signer writes); 0 yes, 1 no pin yet (wait), 2 no
# (the ConfigMap was changed by someone else: trust nothing, remove nothing).
verify_published() {
  [ -n "$PIN_DIR" ] || return 0
  if [ ! -f "$PIN_DIR/ca.crt.sha256" ]; then
    say_once "waiting for the CA fingerprint at $PIN_DIR/ca.crt.sha256 (Secret ${OWNER#*/}-ca-pin, written by the signer hook)"
    return 1
  fi
  pinned="$(cat "$PIN_DIR/ca.crt.sha256" 2>/dev/null)"
  actual="$(sha256sum "$CA_FILE" 2>/dev/null)"; actual="${actual%% *}"
  if [ -z "$actual" ] || [ "$actual" != "$pinned" ]; then
    say_once "error: the CA in $CA_FILE (sha256 ${actual:-unreadable}) is not the CA the signer published (sha256 $pinned in Secret ${OWNER#*/}-ca-pin): ConfigMap ${OWNER#*/}-ca was changed by someone else. Trusting nothing and removing nothing until they match; run helm upgrade to publish it again, and find out who changed it"
    return 2
  fi
  return 0
}
ADDRESS=""
# resolve_address: sets ADDRESS; 1 when the host is unknown, 2 when it is malformed.
resolve_address() {
  host=""
  if [ -n "$PIN_DIR" ]; then
    # The ClusterIP the signer read from the Service; the ConfigMap's copy must agree.
    host="$(cat "$PIN_DIR/cluster-ip" 2>/dev/null)"
    if [ -n "$host" ] && ! is_ip_literal "$host"; then say_once "error: $PIN_DIR/cluster-ip holds '$host', not an IP address"; return 2; fi
    if [ -n "${CLUSTER_IP_FILE:-}" ] && [ -f "$CLUSTER_IP_FILE" ] && [ "$(cat "$CLUSTER_IP_FILE" 2>/dev/null)" != "$host" ]; then
      say_once "error: $CLUSTER_IP_FILE holds '$(cat "$CLUSTER_IP_FILE" 2>/dev/null)', not the ClusterIP '$host' the signer published: ConfigMap ${OWNER#*/}-ca was changed by someone else. Trusting nothing and removing nothing until they match"
      return 2
    fi
  elif [ -n "${CLUSTER_IP_FILE:-}" ] && [ -f "$CLUSTER_IP_FILE" ]; then
    host="$(cat "$CLUSTER_IP_FILE" 2>/dev/null)"
    if [ -n "$host" ] && ! is_ip_literal "$host"; then say_once "error: $CLUSTER_IP_FILE holds '$host', not an IP address"; return 2; fi
  fi
  if [ -n "$host" ] && [ -n "$ENV_HOST" ] && [ "$host" != "$ENV_HOST" ]; then
    say_once "using ClusterIP $host published by the signer (this pod's Service env says $ENV_HOST)"
  fi
  [ -n "$host" ] || host="$ENV_HOST"
  case "$host" in
    '') return 1 ;;
    *:*) ADDRESS="[$host]:$PORT" ;;
    *) ADDRESS="$host:$PORT" ;;
  esac
  return 0
}

sleeper=""
stop() {
  [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
  log "stopping; trust files stay in place"
  exit 0
}
trap stop TERM INT

# Warnings are printed when they change, not every round.
said=""
say_once() {
  case "$said" in *"|$1|"*) return 0 ;; esac
  said="$said|$1|"
  log "$1"
}

is_ours() { [ -f "$1/$MARKER" ] && [ ! -L "$1/$MARKER" ] && [ "$(cat "$1/$MARKER" 2>/dev/null)" = "$OWNER" ]; }

# put FILE CONTENT_FILE: atomically replace FILE with CONTENT_FILE's content
# when it differs. Returns 0 unchanged or written, 1 on error.
# A third argument sets the mode (default 0644).
put() {
  mode="${3:-0644}"
  if [ -f "$1" ] && [ ! -L "$1" ] && cmp -s "$2" "$1" && [ "$(stat -c %a "$1" 2>/dev/null)" = "${mode#0}" ]; then return 0; fi
  tmp="$(dirname "$1")/.$(basename "$1").tmp.$$"
  if (umask 077 && cat "$2" > "$tmp") && chmod "$mode" "$tmp" && mv -f "$tmp" "$1"; then
    log "wrote $1"
    return 0
  fi
  rm -f "$tmp"
  log "error: cannot write $1"
  return 1
}

# put_text FILE TEXT [MODE]
put_text() {
  printf '%s\n' "$2" > "$WORK/text" || return 1
  put "$1" "$WORK/text" "${3:-0644}"
}

# auth_header: sets HEADER to the hosts.toml header table for ADDRESS when
# AUTH_HEADER_FILE holds a Basic credential (empty otherwise); 1 when malformed.
auth_header() {
  HEADER=""
  [ -n "${AUTH_HEADER_FILE:-}" ] && [ -s "$AUTH_HEADER_FILE" ] || return 0
  cred="$(cat "$AUTH_HEADER_FILE" 2>/dev/null)"
  case "$cred" in
    "Basic "*) ;;
    *) say_once "error: $AUTH_HEADER_FILE does not hold a Basic credential"; return 1 ;;
  esac
  case "${cred#Basic }" in
    ''|*[!A-Za-z0-9+/=]*) say_once "error: $AUTH_HEADER_FILE does not hold a Basic credential"; return 1 ;;
  esac
  HEADER="
  [host.\"https://$ADDRESS\".header]
    Authorization = \"$cred\""
}

# remove_ours DIR: delete the files we write, then the marker, then DIR if empty.
remove_ours() {
  rm -f "$1/ca.crt" "$1/hosts.toml" "$1/.ca.crt.tmp."* "$1/.hosts.toml.tmp."* "$1/.$MARKER.tmp."* || return 1
  rm -f "$1/$MARKER" || return 1
  if rmdir "$1" 2>/dev/null; then
    log "removed $1"
  else
    log "removed our files from $1 (other files remain, directory kept)"
  fi
}

# sync KIND DIR: one certs.d directory. Returns 1 when something failed.
sync() {
  kind="$1"; dir="$2"; rc=0
  if [ ! -d "$dir" ]; then
    say_once "error: $dir ($kind certs.d) is not mounted"
    return 1
  fi
  if [ "$ACTION" = install ]; then
    target="$dir/$ADDRESS"
    if [ -L "$target" ] || { [ -e "$target" ] && [ ! -d "$target" ]; }; then
      say_once "left alone: $target is not a directory creg-chart made; remove it to let node trust manage $ADDRESS"
      rc=1
    elif [ -d "$target" ] && ! is_ours "$target" && { [ -e "$target/ca.crt" ] || [ -e "$target/hosts.toml" ]; }; then
      if [ -f "$target/ca.crt" ] && cmp -s "$CA_FILE" "$target/ca.crt"; then
        say_once "left alone: $target/ca.crt was not written by creg-chart but already holds this CA"
      else
        say_once "left alone: $target holds a ca.crt/hosts.toml not written by creg-chart (no $MARKER for $OWNER); remove them to let node trust manage $ADDRESS"
        rc=1
      fi
    else
      if mkdir -p "$target" && put_text "$target/$MARKER" "$OWNER" && put "$target/ca.crt" "$CA_FILE"; then
        if [ "$kind" = containerd ]; then
          hostdir="$CONTAINERD_HOST_DIR/$ADDRESS"
          hmode=0644
          auth_header || rc=1
          # A credential in the file: readable by root (containerd) only.
          [ -z "$HEADER" ] || hmode=0600
          put_text "$target/hosts.toml" "server = \"https://$ADDRESS\"
[host.\"https://$ADDRESS\"]
  capabilities = [\"pull\", \"resolve\"]
  ca = \"$hostdir/ca.crt\"$HEADER" "$hmode" || rc=1
        fi
      else
        rc=1
      fi
    fi
  fi
  # Directories of other addresses (old ClusterIP/port) that carry our marker.
  for old in "$dir"/*; do
    [ -d "$old" ] && [ ! -L "$old" ] || continue
    [ "$ACTION" = install ] && [ "$old" = "$dir/$ADDRESS" ] && continue
    is_ours "$old" || continue
    remove_ours "$old" || rc=1
  done
  return "$rc"
}

WORK="$(mktemp -d)" || { log "cannot create a temporary directory"; exit 1; }
trap 'rm -rf "$WORK"' EXIT
if [ "$ACTION" = install ]; then
  log "keeping the CA of $OWNER trusted in: ${CONTAINERD_DIR:+containerd=$CONTAINERD_DIR }${DOCKER_DIR:+docker=$DOCKER_DIR }${CONTAINERS_DIR:+containers=$CONTAINERS_DIR}"
else
  log "removing the trust files of $OWNER from: ${CONTAINERD_DIR:-} ${DOCKER_DIR:-} ${CONTAINERS_DIR:-}"
fi
last_address=""
round=0
while :; do
  round=$((round + 1))
  ok=yes
  if [ "$ACTION" = install ] && ! grep -q -e '-----BEGIN CERTIFICATE-----' "$CA_FILE" 2>/dev/null; then
    # ConfigMap not published yet (mounted optional): wait, touch nothing. This
    # counts as ready: the signer hook that publishes the CA runs only after
    # `helm install --wait` saw every pod ready, so a pod waiting for the CA
    # must not hold the install up (that would be a deadlock).
    say_once "waiting for the CA at $CA_FILE (ConfigMap ${OWNER#*/}-ca, written by the signer hook)"
  else
    how=0
    if [ "$ACTION" = install ]; then
      verify_published || how=$?
      if [ "$how" = 1 ]; then how=3; fi
      [ "$how" != 0 ] || resolve_address || how=$?
    fi
    if [ "$how" = 3 ]; then
      : # the signer has not pinned the CA yet: wait, touch nothing (ready, as above)
    elif [ "$how" = 1 ]; then
      # Kubernetes computes the env again when the container restarts.
      log "the registry's ClusterIP is unknown (no cluster-ip in the CA ConfigMap, no Service env, no service.clusterIP value); exiting so that the restarted container gets the Service env"
      exit 1
    elif [ "$how" != 0 ]; then
      ok=no
    else
      if [ "$ACTION" = install ] && [ "$ADDRESS" != "$last_address" ]; then
        log "keeping the CA of $OWNER trusted for $ADDRESS"
        last_address="$ADDRESS"
      fi
      [ -z "${CONTAINERD_DIR:-}" ] || sync containerd "$CONTAINERD_DIR" || ok=no
      [ -z "${DOCKER_DIR:-}" ] || sync docker "$DOCKER_DIR" || ok=no
      [ -z "${CONTAINERS_DIR:-}" ] || sync containers "$CONTAINERS_DIR" || ok=no
      mirror_round || ok=no
    fi
  fi
  if [ -n "$READY_FILE" ]; then
    if [ "$ok" = yes ]; then : > "$READY_FILE"; else rm -f "$READY_FILE"; fi
  fi
  if [ "$MAX_ROUNDS" -gt 0 ] && [ "$round" -ge "$MAX_ROUNDS" ]; then
    [ "$ok" = yes ] && exit 0
    exit 1
  fi
  sleep "$INTERVAL" &
  sleeper=$!
  wait "$sleeper"
  sleeper=""
done
