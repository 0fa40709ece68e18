#!/bin/bash
# Starts MariaDB as the mysql user. On the first start with an empty volume it creates the system
# tables; on every start it makes sure Parley's database and accounts exist with the passwords from the
# Compose secrets (so replacing a secret file and restarting changes the password):
#   parley      the app's and the worker's account: everything on Parley's database, nothing else
#   parley_ops  restores and drills (`make restore`, `make backup-drill`): also the databases
#               a restore stages into, keeps as a rollback point or drills in (<db>_restore_<time>, ...)
# A site of a DR pair (PARLEY_DR_SERVER_ID set, compose/dr.yml) also runs with dr.cnf's replication
# settings, its own server id and TLS files, and the DR accounts of dr-accounts.sql (issue 15).
# None of this enters the binary log: each site keeps its own accounts.
set -euo pipefail

DATADIR=/var/lib/mysql
PASSWORD_FILE="${PARLEY_DB_PASSWORD_FILE:-/run/secrets/db_password}"
DB_NAME="${PARLEY_DB_NAME:-parley}"
DB_USER="${PARLEY_DB_USER:-parley}"
OPS_PASSWORD_FILE="${PARLEY_DB_OPS_PASSWORD_FILE:-/run/secrets/db_ops_password}"
OPS_USER="${PARLEY_DB_OPS_USER:-parley_ops}"
INIT_SQL=/run/mysqld/parley-init.sql
PARLEY_DR_ADMIN_USER="${PARLEY_DR_ADMIN_USER:-parley_dr}"
PARLEY_DR_REPL_USER="${PARLEY_DR_REPL_USER:-parley_repl}"

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

dr_accounts() { # dr-accounts.sql with this site's values
  [[ "$PARLEY_DR_SERVER_ID" =~ ^[1-9][0-9]{0,8}$ ]] ||
    die "PARLEY_DR_SERVER_ID: a number from 1, different on each site"
  local name user file sql q="'"
  sql="$(cat /usr/local/share/parley/dr-accounts.sql)"
  shopt -u patsub_replacement 2>/dev/null || true # & in a password is a character, not the match
  for name in ADMIN REPL; do
    user="PARLEY_DR_${name}_USER"
    user="${!user:-}"
    [[ "$user" =~ ^[A-Za-z0-9_]{1,32}$ ]] || die "PARLEY_DR_${name}_USER: letters, digits and _ only"
    file="/run/secrets/dr_${name,,}_password"
    [[ -r "$file" && -s "$file" ]] || die "the DR secret $file is missing or empty; run \`make install\`"
    sql="${sql//@${name}_USER@/$q$user$q}"
    sql="${sql//@${name}_PASSWORD@/$q$(sql_quoted "$file")$q}"
  done
  printf '%s\n' "${sql//@DB@/$DB_NAME}"
}

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
SET sql_log_bin = 0;
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
  dr_options=()
  if [[ -n "${PARLEY_DR_SERVER_ID:-}" ]]; then
    dr_accounts >>"$INIT_SQL"
    # An options file must come first on mariadbd's command line.
    dr_options=(--defaults-extra-file=/etc/mysql/parley-dr.cnf
      --server-id="$PARLEY_DR_SERVER_ID"
      --rpl-semi-sync-master-timeout="${PARLEY_DR_SEMISYNC_TIMEOUT_MS:-5000}"
      --ssl-cert=/run/secrets/dr_db_tls_cert --ssl-key=/run/secrets/dr_db_tls_key
      --ssl-ca=/run/secrets/dr_ca_cert)
  fi
  exec mariadbd "${dr_options[@]}" --init-file="$INIT_SQL" "$@"
fi
exec "$@"
