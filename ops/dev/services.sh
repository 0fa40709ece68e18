#!/usr/bin/env bash
# Private MariaDB, clamd and Redis for Parley development, separate from any system
# instance. All state lives under .parley/ at the repository root.
#   ops/dev/services.sh start|stop|status [mariadb|clamd|redis ...]   (default: all three)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$ROOT/.parley"
RUN="$STATE/run"
LOGS="$STATE/logs"
SECRETS="$STATE/secrets"

DB_PORT="${PARLEY_DEV_DB_PORT:-3407}"
DB_BASE="$STATE/mariadb"
DB_DATA="$DB_BASE/data"
DB_SOCK="$RUN/mariadb.sock"
DB_PID="$RUN/mariadb.pid"
DB_LOG="$LOGS/mariadb.log"

CLAMD_PORT="${PARLEY_DEV_CLAMD_PORT:-3410}"
CLAM_BASE="$STATE/clamav"
CLAM_DB="$CLAM_BASE/db"
CLAM_CONF="$CLAM_BASE/clamd.conf"
CLAM_PID="$CLAM_BASE/clamd.pid"
CLAM_LOG="$LOGS/clamd.log"

REDIS_PORT="${PARLEY_DEV_REDIS_PORT:-3411}"
REDIS_BASE="$STATE/redis"
REDIS_CONF="$REDIS_BASE/redis.conf"
REDIS_PID="$REDIS_BASE/redis.pid"
REDIS_LOG="$LOGS/redis.log"

# Hex of the 68-byte EICAR anti-virus test string (kept as hex on purpose).
EICAR_HEX=58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e444152442d414e544956495255532d544553542d46494c452124482b482a
CLAM_TESTFILE=/usr/share/clamav-testfiles/clam.exe

if [[ $EUID -eq 0 ]] && runuser -u mysql -- test -x "$ROOT" 2>/dev/null &&
  runuser -u clamav -- test -x "$ROOT" 2>/dev/null; then
  # As root, the daemons drop to their own users when those can reach the checkout.
  DB_USER=mysql
  CLAM_USER=clamav
  REDIS_USER="$(runuser -u redis -- test -x "$ROOT" 2>/dev/null && echo redis || true)"
elif [[ $EUID -eq 0 ]]; then
  # The checkout sits under a directory only root may enter (e.g. a CI's mktemp -d):
  # these private, loopback-only instances then stay root.
  DB_USER=root
  CLAM_USER=""
  REDIS_USER=""
else
  DB_USER="$(id -un)"
  CLAM_USER=""
  REDIS_USER=""
fi

die() {
  echo "services: $*" >&2
  exit 1
}

fail_with_log() { # fail_with_log LOGFILE MESSAGE
  echo "services: $2 (last lines of $1 follow)" >&2
  tail -n 20 "$1" >&2 2>/dev/null || true
  exit 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found (run ops/dev/install-deps.sh)"
}

for port in "$DB_PORT" "$CLAMD_PORT" "$REDIS_PORT"; do
  [[ "$port" =~ ^[0-9]+$ ]] || die "invalid port '$port'"
done

# own PATH... : chown to USER when running as root
own() {
  local user="$1"
  shift
  if [[ $EUID -eq 0 && -n "$user" ]]; then chown "$user:" "$@"; fi
}

# pid_of PIDFILE NAME : prints the pid if it is alive and is NAME
pid_of() {
  local pid
  [[ -s "$1" ]] || return 1
  pid="$(tr -dc '0-9' <"$1")"
  [[ -n "$pid" && -r "/proc/$pid/comm" ]] || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2" ]] || return 1
  echo "$pid"
}

# stop_pid PID NAME : SIGTERM, then wait up to 60 s for exit
stop_pid() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 600; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  die "$2 (pid $pid) did not exit within 60 s"
}

# ---------------------------------------------------------------- MariaDB --

db_up() {
  [[ -S "$DB_SOCK" ]] &&
    mariadb-admin --no-defaults --socket="$DB_SOCK" --user=root --connect-timeout=2 ping >/dev/null 2>&1
}

db_sql() { # SQL on stdin, as root over the socket
  mariadb --no-defaults --socket="$DB_SOCK" --user=root --batch --silent
}

ensure_db_password() {
  local file="$SECRETS/db_password" tmp
  mkdir -p "$SECRETS"
  chmod 700 "$SECRETS"
  if [[ ! -s "$file" ]]; then
    tmp="$(mktemp "$file.XXXXXX")"
    openssl rand -hex 24 >"$tmp" 2>/dev/null || { rm -f "$tmp"; die "could not generate $file"; }
    chmod 600 "$tmp"
    ln "$tmp" "$file" 2>/dev/null || true # another run may have won the race
    rm -f "$tmp"
  fi
  [[ -s "$file" ]] || die "could not create $file"
}

db_init_datadir() {
  [[ -d "$DB_DATA/mysql" ]] && return 0
  if [[ -d "$DB_DATA" ]] && [[ -n "$(ls -A "$DB_DATA")" ]]; then
    die "$DB_DATA is not empty but not an initialised MariaDB datadir; remove it"
  fi
  need mariadb-install-db
  local tmp="$DB_BASE/data.init"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  own "$DB_USER" "$tmp"
  mariadb-install-db --no-defaults --user="$DB_USER" --datadir="$tmp" \
    --auth-root-authentication-method=normal --skip-test-db \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    >>"$DB_LOG" 2>&1 || fail_with_log "$DB_LOG" "mariadb-install-db failed"
  rm -rf "$DB_DATA"
  mv "$tmp" "$DB_DATA"
}

db_setup_users() {
  local pw
  pw="$(tr -d '\n' <"$SECRETS/db_password")"
  pw="${pw//\\/\\\\}"
  pw="${pw//\'/\\\'}"
  {
    # Keep root to the unix socket only: drop the anonymous and password-less
    # root@<hostname> accounts that mariadb-install-db creates.
    echo "DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');"
    echo "DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';"
    echo "FLUSH PRIVILEGES;"
    local host
    for host in localhost 127.0.0.1; do
      echo "CREATE USER IF NOT EXISTS 'parley'@'$host' IDENTIFIED BY '$pw';"
      echo "ALTER USER 'parley'@'$host' IDENTIFIED BY '$pw';"
      echo "GRANT ALL PRIVILEGES ON \`parley%\`.* TO 'parley'@'$host';"
    done
    echo "CREATE DATABASE IF NOT EXISTS \`parley\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  } | db_sql >/dev/null 2>"$RUN/mariadb-setup.err" || {
    echo "services: mariadb user/database setup failed: $(head -n 1 "$RUN/mariadb-setup.err")" >&2
    exit 1
  }
  rm -f "$RUN/mariadb-setup.err"
}

db_start() {
  if db_up; then
    echo "mariadb: up on 127.0.0.1:$DB_PORT"
    return 0
  fi
  need mariadbd
  need mariadb-admin
  need openssl
  ensure_db_password
  mkdir -p "$DB_BASE" "$RUN" "$LOGS"
  touch "$DB_LOG"
  own "$DB_USER" "$DB_BASE" "$RUN" "$DB_LOG"
  [[ -d "$DB_DATA" ]] && own "$DB_USER" "$DB_DATA"
  db_init_datadir
  rm -f "$DB_SOCK" "$DB_SOCK.lock"
  pid_of "$DB_PID" mariadbd >/dev/null || rm -f "$DB_PID"
  # setsid (not a group leader here, so it does not fork) detaches mariadbd
  # from this shell's session; $! is then mariadbd itself.
  setsid mariadbd --no-defaults --user="$DB_USER" \
    --datadir="$DB_DATA" --socket="$DB_SOCK" --pid-file="$DB_PID" \
    --port="$DB_PORT" --bind-address=127.0.0.1 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --skip-name-resolve --log-error="$DB_LOG" \
    </dev/null >>"$DB_LOG" 2>&1 &
  local pid=$! i
  disown "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    db_up && break
    kill -0 "$pid" 2>/dev/null || fail_with_log "$DB_LOG" "mariadb exited during startup"
    sleep 0.1
  done
  db_up || fail_with_log "$DB_LOG" "mariadb did not answer within 30 s"
  db_setup_users
  echo "mariadb: up on 127.0.0.1:$DB_PORT"
}

db_stop() {
  local pid
  if pid="$(pid_of "$DB_PID" mariadbd)"; then
    stop_pid "$pid" mariadb
  elif db_up; then
    mariadb-admin --no-defaults --socket="$DB_SOCK" --user=root shutdown >/dev/null 2>&1 ||
      die "could not shut down mariadb on $DB_SOCK"
  fi
  rm -f "$DB_PID"
  echo "mariadb: stopped"
}

db_status() {
  if db_up; then
    echo "mariadb: up on 127.0.0.1:$DB_PORT"
  else
    echo "mariadb: down (127.0.0.1:$DB_PORT)"
    return 1
  fi
}

# ------------------------------------------------------------------ clamd --

clamd_up() {
  local reply
  # shellcheck disable=SC2216
  reply="$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/127.0.0.1/$CLAMD_PORT" || exit 1
    printf 'zPING\0' >&3
    IFS= read -r -d '' -t 2 line <&3 || true
    printf '%s' "$line"
  )" || return 1
  [[ "$reply" == PONG ]]
}

write_if_changed() { # write_if_changed FILE (content on stdin)
  local tmp
  tmp="$(mktemp "$1.XXXXXX")"
  cat >"$tmp"
  if [[ -f "$1" ]] && cmp -s "$tmp" "$1"; then
    rm -f "$tmp"
  else
    chmod 644 "$tmp"
    mv -f "$tmp" "$1"
  fi
}

clamd_prepare() {
  mkdir -p "$CLAM_DB" "$LOGS"
  write_if_changed "$CLAM_DB/test.ndb" <<<"Eicar-Test-Signature:0:*:$EICAR_HEX"
  if [[ -r "$CLAM_TESTFILE" ]]; then
    local md5 size
    md5="$(md5sum "$CLAM_TESTFILE" | cut -d' ' -f1)"
    size="$(stat -c %s "$CLAM_TESTFILE")"
    write_if_changed "$CLAM_DB/test.hdb" <<<"$md5:$size:ClamAV-Test-File"
  else
    echo "services: $CLAM_TESTFILE missing (install clamav-testfiles); skipping test.hdb" >&2
    rm -f "$CLAM_DB/test.hdb"
  fi
  {
    echo "# Generated by ops/dev/services.sh; edits are overwritten."
    echo "TCPSocket $CLAMD_PORT"
    echo "TCPAddr 127.0.0.1"
    echo "DatabaseDirectory $CLAM_DB"
    echo "PidFile $CLAM_PID"
    echo "LogFile $CLAM_LOG"
    echo "LogTime yes"
    echo "Foreground no"
    echo "StreamMaxLength 30M"
    echo "MaxFileSize 30M"
    echo "MaxScanSize 100M"
    if [[ -n "$CLAM_USER" ]]; then echo "User $CLAM_USER"; fi
  } | write_if_changed "$CLAM_CONF"
  touch "$CLAM_LOG"
  own "$CLAM_USER" "$CLAM_BASE" "$CLAM_DB" "$CLAM_DB"/* "$CLAM_LOG"
}

clamd_start() {
  if clamd_up; then
    echo "clamd: up on 127.0.0.1:$CLAMD_PORT"
    return 0
  fi
  need clamd
  clamd_prepare
  pid_of "$CLAM_PID" clamd >/dev/null || rm -f "$CLAM_PID"
  local logsize i
  logsize="$(stat -c %s "$CLAM_LOG")"
  # With "Foreground no" clamd loads its database, forks and returns; errors
  # such as a busy port happen in the daemonised child and go to the log.
  setsid clamd -c "$CLAM_CONF" </dev/null >>"$CLAM_LOG" 2>&1 ||
    fail_with_log "$CLAM_LOG" "clamd failed to start"
  for ((i = 0; i < 600; i++)); do
    clamd_up && break
    if { [[ -s "$CLAM_PID" ]] && ! pid_of "$CLAM_PID" clamd >/dev/null; } ||
      tail -c "+$((logsize + 1))" "$CLAM_LOG" | grep -q 'ERROR:'; then
      fail_with_log "$CLAM_LOG" "clamd exited during startup"
    fi
    sleep 0.1
  done
  clamd_up || fail_with_log "$CLAM_LOG" "clamd did not answer PING within 60 s"
  echo "clamd: up on 127.0.0.1:$CLAMD_PORT"
}

clamd_stop() {
  local pid
  if pid="$(pid_of "$CLAM_PID" clamd)"; then
    stop_pid "$pid" clamd
  elif clamd_up; then
    die "something answers on 127.0.0.1:$CLAMD_PORT but $CLAM_PID names no clamd"
  fi
  rm -f "$CLAM_PID"
  echo "clamd: stopped"
}

clamd_status() {
  if clamd_up; then
    echo "clamd: up on 127.0.0.1:$CLAMD_PORT"
  else
    echo "clamd: down (127.0.0.1:$CLAMD_PORT)"
    return 1
  fi
}

# ------------------------------------------------------------------ Redis --
# The visitor limits' shared counters (issue 12): loopback only, a password, no persistence (the
# counts are minutes long; a restart forgets them). The password is in the config file (mode 600),
# never on a command line, and the CLI reads it from REDISCLI_AUTH.

redis_cli() {
  REDISCLI_AUTH="$(tr -d '\n' <"$SECRETS/redis_password" 2>/dev/null)" \
    timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --no-auth-warning "$@"
}

redis_up() {
  [[ -s "$SECRETS/redis_password" ]] && [[ "$(redis_cli ping 2>/dev/null)" == PONG ]]
}

ensure_redis_password() {
  local file="$SECRETS/redis_password" tmp
  mkdir -p "$SECRETS"
  chmod 700 "$SECRETS"
  if [[ ! -s "$file" ]]; then
    tmp="$(mktemp "$file.XXXXXX")"
    openssl rand -hex 24 >"$tmp" 2>/dev/null || { rm -f "$tmp"; die "could not generate $file"; }
    chmod 600 "$tmp"
    ln "$tmp" "$file" 2>/dev/null || true # another run may have won the race
    rm -f "$tmp"
  fi
  [[ -s "$file" ]] || die "could not create $file"
}

redis_prepare() {
  mkdir -p "$REDIS_BASE/data" "$LOGS"
  local tmp
  tmp="$(mktemp "$REDIS_CONF.XXXXXX")"
  chmod 600 "$tmp"
  {
    echo "# Generated by ops/dev/services.sh; edits are overwritten."
    echo "bind 127.0.0.1 -::1"
    echo "protected-mode yes"
    echo "port $REDIS_PORT"
    echo "daemonize no"
    echo "pidfile $REDIS_PID"
    echo "logfile $REDIS_LOG"
    echo "dir $REDIS_BASE/data"
    echo 'save ""'
    echo "appendonly no"
    echo "maxmemory 128mb"
    # Every key Parley writes expires; under pressure the soonest to expire go first.
    echo "maxmemory-policy volatile-ttl"
    printf 'requirepass %s\n' "$(tr -d '\n' <"$SECRETS/redis_password")"
  } >"$tmp"
  mv -f "$tmp" "$REDIS_CONF"
  touch "$REDIS_LOG"
  own "$REDIS_USER" "$REDIS_BASE" "$REDIS_BASE/data" "$REDIS_CONF" "$REDIS_LOG"
}

redis_start() {
  if redis_up; then
    echo "redis: up on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  need redis-server
  need redis-cli
  need openssl
  ensure_redis_password
  redis_prepare
  pid_of "$REDIS_PID" redis-server >/dev/null || rm -f "$REDIS_PID"
  local run=() pid i
  if [[ -n "$REDIS_USER" ]]; then run=(runuser -u "$REDIS_USER" --); fi
  setsid "${run[@]}" redis-server "$REDIS_CONF" </dev/null >>"$REDIS_LOG" 2>&1 &
  pid=$!
  disown "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    redis_up && break
    kill -0 "$pid" 2>/dev/null || pid_of "$REDIS_PID" redis-server >/dev/null ||
      fail_with_log "$REDIS_LOG" "redis exited during startup"
    sleep 0.1
  done
  redis_up || fail_with_log "$REDIS_LOG" "redis did not answer within 10 s"
  echo "redis: up on 127.0.0.1:$REDIS_PORT"
}

redis_stop() {
  local pid
  if pid="$(pid_of "$REDIS_PID" redis-server)"; then
    stop_pid "$pid" redis
  elif redis_up; then
    die "something answers on 127.0.0.1:$REDIS_PORT but $REDIS_PID names no redis-server"
  fi
  rm -f "$REDIS_PID"
  echo "redis: stopped"
}

redis_status() {
  if redis_up; then
    echo "redis: up on 127.0.0.1:$REDIS_PORT"
  else
    echo "redis: down (127.0.0.1:$REDIS_PORT)"
    return 1
  fi
}

# ------------------------------------------------------------------- main --

action="${1:-}"
shift || true
names=("$@")
((${#names[@]} > 0)) || names=(mariadb clamd redis)
for name in "${names[@]}"; do
  [[ "$name" =~ ^(mariadb|clamd|redis)$ ]] || die "unknown service '$name' (mariadb, clamd or redis)"
done
want() { [[ " ${names[*]} " == *" $1 "* ]]; }

case "$action" in
  start)
    if want mariadb; then db_start; fi
    if want clamd; then clamd_start; fi
    if want redis; then redis_start; fi
    ;;
  stop)
    if want redis; then redis_stop; fi
    if want clamd; then clamd_stop; fi
    if want mariadb; then db_stop; fi
    ;;
  status)
    rc=0
    if want mariadb; then db_status || rc=1; fi
    if want clamd; then clamd_status || rc=1; fi
    if want redis; then redis_status || rc=1; fi
    exit "$rc"
    ;;
  *)
    echo "usage: $0 start|stop|status [mariadb|clamd|redis ...]" >&2
    exit 2
    ;;
esac
