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

# Each service's start, stop and status, in a file of its own.
# shellcheck source=ops/dev/mariadb.sh
source "$ROOT/ops/dev/mariadb.sh"
# shellcheck source=ops/dev/clamd.sh
source "$ROOT/ops/dev/clamd.sh"
# shellcheck source=ops/dev/redis.sh
source "$ROOT/ops/dev/redis.sh"

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
