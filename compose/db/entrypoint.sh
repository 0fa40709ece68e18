#!/bin/bash
# Starts MariaDB as the mysql user. On the first start with an empty volume it creates the system
# tables; on every start it makes sure Parley's database and accounts exist with the passwords from the
# Compose secrets (so replacing a secret file and restarting changes the password):
#   parley      the app's and the worker's account: everything on Parley's database, nothing else
#   parley_ops  restores and drills (`make restore`, `make backup-drill`): also the databases
#               a restore stages into, keeps as a rollback point or drills in (<db>_restore_<time>, ...)
set -euo pipefail

DATADIR=/var/lib/mysql
PASSWORD_FILE="${PARLEY_DB_PASSWORD_FILE:-/run/secrets/db_password}"
DB_NAME="${PARLEY_DB_NAME:-parley}"
DB_USER="${PARLEY_DB_USER:-parley}"
OPS_PASSWORD_FILE="${PARLEY_DB_OPS_PASSWORD_FILE:-/run/secrets/db_ops_password}"
OPS_USER="${PARLEY_DB_OPS_USER:-parley_ops}"
INIT_SQL=/run/mysqld/parley-init.sql

die() {
  echo "parley-db: $*" >&2
  exit 78
}

[[ "$DB_NAME" =~ ^[A-Za-z0-9_]{1,64}$ ]] || die "PARLEY_DB_NAME: letters, digits and _ only"
[[ "$DB_USER" =~ ^[A-Za-z0-9_]{1,32}$ ]] || die "PARLEY_DB_USER: letters, digits and _ only"
[[ "$OPS_USER" =~ ^[A-Za-z0-9_]{1,32}$ ]] || die "PARLEY_DB_OPS_USER: letters, digits and _ only"
[[ -r "$PASSWORD_FILE" && -s "$PASSWORD_FILE" ]] ||
  die "the database password secret $PASSWORD_FILE is missing or empty; run \`make install\`"
[[ -w "$DATADIR" ]] || die "$DATADIR is not writable by $(id -un); the db-data volume has the wrong owner"

if [[ "${1:-}" == mariadbd ]]; then
  if [[ ! -d "$DATADIR/mysql" ]]; then
    if [[ -n "$(ls -A "$DATADIR")" ]]; then
      die "$DATADIR is not empty but holds no MariaDB system tables; refusing to initialise over it"
    fi
    echo "parley-db: first start, creating the system tables in $DATADIR"
    # root@localhost authenticates only by unix socket as the OS root user, which no process here is.
    # mysql@localhost (unix socket only) is the account of the healthcheck.
    mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db --skip-name-resolve \
      --auth-root-authentication-method=socket >/tmp/install-db.log 2>&1 || {
      grep -v '^$' /tmp/install-db.log | head -n 5 >&2
      # The volume was empty: empty it again so the next start can retry.
      find "$DATADIR" -mindepth 1 -delete
      die "mariadb-install-db failed"
    }
  fi

  sql_quoted() { # sql_quoted FILE: the file's first line, escaped for a '...' SQL string
    local value
    value="$(tr -d '\r\n' <"$1")"
    value="${value//\\/\\\\}"
    printf '%s' "${value//\'/\\\'}"
  }
  password="$(sql_quoted "$PASSWORD_FILE")"
  umask 077
  # The init file lives in the container's memory (tmpfs) only; the same password is in the secret.
  cat >"$INIT_SQL" <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$password';
ALTER USER '$DB_USER'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'%';
GRANT SLAVE MONITOR, BINLOG MONITOR ON *.* TO '$DB_USER'@'%';
SQL
  if [[ -r "$OPS_PASSWORD_FILE" && -s "$OPS_PASSWORD_FILE" ]]; then
    ops_password="$(sql_quoted "$OPS_PASSWORD_FILE")"
    # In a grant's database name, _ is a wildcard unless escaped.
    pattern="${DB_NAME//_/\\_}"
    cat >>"$INIT_SQL" <<SQL
CREATE USER IF NOT EXISTS '$OPS_USER'@'%' IDENTIFIED BY '$ops_password';
ALTER USER '$OPS_USER'@'%' IDENTIFIED BY '$ops_password';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$OPS_USER'@'%';
GRANT ALL PRIVILEGES ON \`$pattern\\_restore\\_%\`.* TO '$OPS_USER'@'%';
GRANT ALL PRIVILEGES ON \`$pattern\\_rollback\\_%\`.* TO '$OPS_USER'@'%';
GRANT ALL PRIVILEGES ON \`$pattern\\_discard\\_%\`.* TO '$OPS_USER'@'%';
GRANT ALL PRIVILEGES ON \`$pattern\\_drill\\_%\`.* TO '$OPS_USER'@'%';
SQL
    unset ops_password
  fi
  unset password
  shift
  exec mariadbd --init-file="$INIT_SQL" "$@"
fi
exec "$@"
