#!/usr/bin/env bash
# Sourced by ops/dev/services.sh (its settings and helpers): the private MariaDB.
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
      # Read-only views of replication for /readyz, the metrics and make dr-status (issue 15).
      echo "GRANT SLAVE MONITOR, BINLOG MONITOR ON *.* TO 'parley'@'$host';"
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
