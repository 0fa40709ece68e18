#!/usr/bin/env bash
# A site of a DR pair in the appliance (issue 15; compose/README-install.md "Disaster recovery").
#   dr.sh status [--json] | failover | rejoin | failback | resume    ops/dr.ts in a one-off ops
#                          container (FORCE=1 from the environment overrides a refusal); failover with
#                          FROM=offsite (and KEY=...) goes to backup.sh failover-offsite
#   dr.sh configure ROLE PEER DR_ADDRESS    make install: writes this site's DR settings once
#                          (DR_FILES_PORT, PEER_FILES_PORT: the file receivers' ports when not 2222)
#   dr.sh secrets ROLE                      make install: the DR secrets and this site's database
#                          certificate (a standby must have the primary's secrets copied first)
#   dr.sh settle ROLE                       make install, with the database up: a primary becomes
#                          writable, a standby follows (seeded from the primary the first time);
#                          prints the role the site then has: primary or standby
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DR_DIR="$CONFIG_DIR/dr"

dr_configured() { [[ -n "$(env_value PARLEY_DR_PEER_DB_HOST)" ]]; }

run_dr() { # run_dr COMMAND [ARGS...]: node ops/dr.ts in a one-off ops container
  [[ -f "$ENV_FILE" ]] || die "not installed here ($ENV_FILE missing): run make install"
  dr_configured || die "this site has no standby: PARLEY_DR_PEER_DB_HOST is not set (make install ROLE=... PEER=...)"
  compose run --rm -T -e FORCE="${FORCE:-}" -e SUDO_USER="${SUDO_USER:-${USER:-root}}" ops \
    node ops/dr.ts "$@" 2> >(grep -v -E '^(Creating|Starting) |^[0-9]+$' >&2)
}

split_address() { # split_address HOST[:PORT] DEFAULT_PORT: "HOST PORT"
  local host="${1%:*}" port="${1##*:}"
  [[ "$1" == *:* ]] || port="$2"
  [[ "$host" =~ ^[A-Za-z0-9.-]+$ && "$port" =~ ^[0-9]{1,5}$ ]] ||
    die "$1: give a host name or IPv4 address, optionally with :port"
  echo "$host $port"
}

configure() { # configure ROLE PEER DR_ADDRESS
  local role="$1" peer self bind id
  dr_configured && return 0
  [[ "$role" == primary || "$role" == standby ]] || die "ROLE=$role: primary or standby"
  [[ -n "$2" ]] || die "ROLE=$role needs the other site's database address: PEER=<host[:port]> (PRIMARY= on a standby)"
  [[ -n "$3" ]] || die "ROLE=$role needs this site's address on the link between the sites: DR_ADDRESS=<host[:port]>"
  read -r -a peer <<<"$(split_address "$2" 3306)"
  read -r -a self <<<"$(split_address "$3" 3306)"
  bind=0.0.0.0
  [[ "${self[0]}" =~ ^[0-9.]+$ ]] && bind="${self[0]}"
  id=1
  [[ "$role" == standby ]] && id=2
  cat >>"$ENV_FILE" <<ENV

# ── Disaster recovery (make install ROLE=$role; compose/README-install.md) ───────────────────
# Written once by make install. The role itself is the database's read_only, changed only by
# make failover, rejoin, failback and dr-resume. The server id differs on the two sites.
PARLEY_DR_SERVER_ID=$id
PARLEY_DR_PEER_DB_HOST=${peer[0]}
PARLEY_DR_PEER_DB_PORT=${peer[1]}
PARLEY_DR_SELF_DB_HOST=${self[0]}
PARLEY_DR_SELF_DB_PORT=${self[1]}
# Where this site's database port is published for the peer: an address of the sites' link.
PARLEY_DR_BIND_ADDRESS=$bind
# The file receivers' ports (SFTP): this site's, published there too, and the peer's.
PARLEY_DR_FILES_PORT=${DR_FILES_PORT:-2222}
PARLEY_DR_PEER_FILES_PORT=${PEER_FILES_PORT:-2222}
ENV
  say "wrote this site's DR settings ($role, peer ${peer[0]}:${peer[1]}) into $ENV_FILE"
}

secrets() { # secrets ROLE
  local role="$1" name self san work
  dr_configured || return 0
  if [[ "$role" == standby ]]; then
    # The standby decrypts the primary's files and sessions: it must hold the same secrets.
    for name in secret_key files_master_key dr_admin_password dr_repl_password dr_ca.key dr_files_host_key dr_files_client_key; do
      [[ -s "$SECRETS_DIR/$name" ]] ||
        die "$SECRETS_DIR/$name is missing: copy config/secrets/ and config/dr/ca.crt from the primary first (compose/README-install.md, Disaster recovery)"
    done
  fi
  install -d -m 0700 "$SECRETS_DIR"
  install -d -m 0755 "$DR_DIR"
  make_secret "$SECRETS_DIR/dr_admin_password" openssl rand -hex 32
  make_secret "$SECRETS_DIR/dr_repl_password" openssl rand -hex 32
  files_keys
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  if [[ ! -s "$SECRETS_DIR/dr_ca.key" || ! -s "$DR_DIR/ca.crt" ]]; then
    [[ "$role" != standby ]] || die "$DR_DIR/ca.crt is missing: copy it from the primary"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$work/ca.key" -sha256 -days 3650 -subj "/O=Parley/CN=Parley DR CA" \
      -addext 'basicConstraints=critical,CA:TRUE,pathlen:0' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
      -out "$DR_DIR/ca.crt" 2>/dev/null || die "could not create the DR CA"
    mv "$work/ca.key" "$SECRETS_DIR/dr_ca.key"
    say "created the DR CA $DR_DIR/ca.crt (its key: $SECRETS_DIR/dr_ca.key; copy both to the standby)"
  fi
  chmod 0400 "$SECRETS_DIR/dr_ca.key"
  chmod 0644 "$DR_DIR/ca.crt"
  # This site's database certificate: names `db` (the ops runs here) and the address the peer uses.
  self="$(env_value PARLEY_DR_SELF_DB_HOST)"
  if [[ -s "$DR_DIR/db.crt" && -s "$SECRETS_DIR/dr_db.key" ]] &&
    openssl verify -CAfile "$DR_DIR/ca.crt" "$DR_DIR/db.crt" >/dev/null 2>&1 &&
    openssl x509 -in "$DR_DIR/db.crt" -noout -checkend 2592000 >/dev/null &&
    { openssl x509 -in "$DR_DIR/db.crt" -noout -checkip "$self" 2>/dev/null ||
      openssl x509 -in "$DR_DIR/db.crt" -noout -checkhost "$self" 2>/dev/null; } | grep -q 'does match'; then
    return 0
  fi
  if [[ "$self" =~ ^[0-9.]+$ ]]; then san="IP:$self"; else san="DNS:$self"; fi
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/db.key" 2>/dev/null
  openssl req -new -key "$work/db.key" -subj "/O=Parley/CN=$self" -out "$work/db.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:db,%s\n' \
    "$san" >"$work/ext.cnf"
  openssl x509 -req -in "$work/db.csr" -CA "$DR_DIR/ca.crt" -CAkey "$SECRETS_DIR/dr_ca.key" -sha256 -days 825 \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$work/ext.cnf" -out "$work/db.crt" 2>/dev/null ||
    die "could not sign this site's database certificate"
  chmod 0644 "$work/db.crt"
  protect "$work/db.key"
  mv "$work/db.key" "$SECRETS_DIR/dr_db.key"
  mv "$work/db.crt" "$DR_DIR/db.crt"
  say "created this site's database certificate for DNS:db,$san ($DR_DIR/db.crt)"
}

# in_sftp_image [SECRET] -- COMMAND...: COMMAND in the sftp image (hosts need no OpenSSH), with no
# network, a read-only filesystem and no capabilities; config/secrets/SECRET, if named, at /run/key.
in_sftp_image() {
  local mount=()
  if [[ "$1" != -- ]]; then
    mount=(-v "$SECRETS_DIR/$1:/run/key:ro")
    shift
  fi
  shift
  "$DOCKER" run --rm --network none --read-only --tmpfs /tmp --cap-drop ALL \
    --security-opt no-new-privileges:true --user 10001:10001 "${mount[@]}" "$(image_name sftp)" "$@"
}

# The files' way to the standby (backup/worker/fileShipper.ts): the pair's SFTP host key and the
# workers' login key, both the same on the two sites (copied with the secrets), so either site's
# worker ships to the other's receiver and pins the one fingerprint written into appliance.env.
files_keys() {
  local name fingerprint
  for name in dr_files_host_key dr_files_client_key; do
    [[ -s "$SECRETS_DIR/$name" ]] && continue
    # shellcheck disable=SC2016 # the container's shell expands it
    in_sftp_image -- sh -c 'ssh-keygen -q -t ed25519 -N "" -C parley-dr -f /tmp/k && cat /tmp/k' \
      >"$SECRETS_DIR/$name.tmp" || die "could not generate $SECRETS_DIR/$name"
    protect "$SECRETS_DIR/$name.tmp"
    mv "$SECRETS_DIR/$name.tmp" "$SECRETS_DIR/$name"
    say "generated $SECRETS_DIR/$name"
  done
  protect "$SECRETS_DIR/dr_files_host_key" "$SECRETS_DIR/dr_files_client_key"
  in_sftp_image dr_files_client_key -- ssh-keygen -y -f /run/key >"$DR_DIR/files_client_key.pub" ||
    die "could not read the public half of $SECRETS_DIR/dr_files_client_key"
  fingerprint="$(in_sftp_image dr_files_host_key -- sh -c 'ssh-keygen -y -f /run/key | ssh-keygen -l -f -' |
    awk '{ print $2 }')"
  [[ "$fingerprint" == SHA256:* ]] || die "could not read the fingerprint of $SECRETS_DIR/dr_files_host_key"
  if [[ "$(env_value PARLEY_DR_FILES_SFTP_HOST_KEY)" != "$fingerprint" ]]; then
    sed -i '/^PARLEY_DR_FILES_SFTP_HOST_KEY=/d' "$ENV_FILE"
    printf '# The host key of the pair'"'"'s file receivers (config/secrets/dr_files_host_key), pinned.\nPARLEY_DR_FILES_SFTP_HOST_KEY=%s\n' \
      "$fingerprint" >>"$ENV_FILE"
  fi
}

settle() { # settle ROLE: echoes primary or standby
  local role="$1" read_only
  dr_configured || {
    echo primary
    return 0
  }
  read_only="$(compose exec -T db mariadb -N -B -e 'SELECT @@read_only' 2>/dev/null | tr -d '[:space:]')"
  [[ "$read_only" == 0 || "$read_only" == 1 ]] || die "could not ask the database whether it is read-only"
  if [[ "$read_only" == 0 ]]; then
    echo primary
  elif [[ "$role" == standby ]]; then
    run_dr rejoin | sed 's/^/parley: /' >&2 || die "this standby could not follow its primary (make dr-status)"
    echo standby
  elif [[ "$role" == primary ]]; then
    # First install of a primary: no standby can have been promoted yet, so its absence is no reason to wait.
    FORCE="${DR_FIRST_INSTALL:-}" run_dr resume | sed 's/^/parley: /' >&2 ||
      die "this site stays read-only: see above, then make dr-resume (FORCE=1 once you know the peer is not primary)"
    echo primary
  else
    say "the database is read-only: this site is a standby (make dr-status) or a primary that restarted (make dr-resume)" >&2
    echo standby
  fi
}

command="${1:-status}"
shift || true
case "$command" in
  status) run_dr status "$@" ;;
  failover)
    # Without a standby: rebuilt from the newest verified offsite backup, IT's key streamed in.
    [[ "${FROM:-}" != offsite ]] || exec bash "$ROOT/ops/appliance/backup.sh" failover-offsite
    [[ -z "${FROM:-}" ]] || die "FROM=$FROM: the only other source is FROM=offsite (the offsite backups)"
    run_dr failover
    ;;
  rejoin | failback | resume) run_dr "$command" ;;
  configure) configure "$@" ;;
  secrets) secrets "$@" ;;
  settle) settle "$@" ;;
  *) die "unknown DR command $command: status, failover, rejoin, failback or resume" ;;
esac
