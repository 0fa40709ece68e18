#!/bin/bash
# Starts MariaDB as the mysql user. On the first start with an empty volume it creates the system
# tables; on every start it makes sure Parley's database and account exist with the password from the
# Compose secret (so replacing the secret file and restarting changes the password).
set -euo pipefail

DATADIR=/var/lib/mysql
PASSWORD_FILE="${PARLEY_DB_PASSWORD_FILE:-/run/secrets/db_password}"
DB_NAME="${PARLEY_DB_NAME:-parley}"
DB_USER="${PARLEY_DB_USER:-parley}"
INIT_SQL=/run/mysqld/parley-init.sql

die() {
  echo "parley-db: $*" >&2
  exit 78
}

[[ "$DB_NAME" =~ ^[A-Za-z0-9_]{1,64}$ ]] || die "PARLEY_DB_NAME: letters, digits and _ only"
[[ "$DB_USER" =~ ^[A-Za-z0-9_]{1,32}$ ]] || die "PARLEY_DB_USER: letters, digits and _ only"
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

  password="$(tr -d '\r\n' <"$PASSWORD_FILE")"
  password="${password//\\/\\\\}"
  password="${password//\'/\\\'}"
  umask 077
  # The init file lives in the container's memory (tmpfs) only; the same password is in the secret.
  cat >"$INIT_SQL" <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$password';
ALTER USER '$DB_USER'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'%';
SQL
  unset password
  shift
  exec mariadbd --init-file="$INIT_SQL" "$@"
fi
exec "$@"
