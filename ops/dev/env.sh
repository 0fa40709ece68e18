#!/usr/bin/env bash
# Writes .parley/parley.env (for `node --env-file`) for the development setup.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$ROOT/.parley"
OUT="$STATE/parley.env"

DB_PORT="${PARLEY_DEV_DB_PORT:-3407}"
CLAMD_PORT="${PARLEY_DEV_CLAMD_PORT:-3410}"
REDIS_PORT="${PARLEY_DEV_REDIS_PORT:-3411}"

for port in "$DB_PORT" "$CLAMD_PORT" "$REDIS_PORT"; do
  [[ "$port" =~ ^[0-9]+$ ]] || { echo "env: invalid port '$port'" >&2; exit 1; }
done

mkdir -p "$STATE"
tmp="$(mktemp "$OUT.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
cat >"$tmp" <<ENV
PARLEY_PUBLIC_URL=https://localhost:8443
PARLEY_HTTPS_HOST=127.0.0.1
PARLEY_HTTPS_PORT=8443
PARLEY_HTTP_PORT=8080
PARLEY_TLS_CERT_FILE=$STATE/tls/server.crt
PARLEY_TLS_KEY_FILE=$STATE/tls/server.key
PARLEY_WIDGET_ORIGINS=https://127.0.0.1:8444
PARLEY_DB_HOST=127.0.0.1
PARLEY_DB_PORT=$DB_PORT
PARLEY_DB_NAME=parley
PARLEY_DB_USER=parley
PARLEY_DB_PASSWORD_FILE=$STATE/secrets/db_password
PARLEY_CLAMD_HOST=127.0.0.1
PARLEY_CLAMD_PORT=$CLAMD_PORT
PARLEY_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
PARLEY_REDIS_PASSWORD_FILE=$STATE/secrets/redis_password
PARLEY_SECRET_KEY_FILE=$STATE/secrets/secret_key
PARLEY_FILES_DIR=$STATE/files
PARLEY_FILES_MASTER_KEY_FILE=$STATE/secrets/files_master_key
PARLEY_BACKUP_DIR=$STATE/backups
PARLEY_BACKUP_RECIPIENTS_FILE=$STATE/secrets/backup_recipients.pub
PARLEY_BACKUP_SIGNING_KEY_FILE=$STATE/secrets/backup_signing.key
PARLEY_LOG_LEVEL=info
ENV
chmod 644 "$tmp"
mv -f "$tmp" "$OUT"
trap - EXIT
