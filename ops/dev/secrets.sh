#!/usr/bin/env bash
# Creates Parley's development secrets under .parley/secrets/ if missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECRETS="$ROOT/.parley/secrets"

die() {
  echo "secrets: $*" >&2
  exit 1
}

# make_secret FILE COMMAND... : writes COMMAND's output to FILE (mode 600)
# unless FILE exists. Atomic, so concurrent runs agree on one value.
make_secret() {
  local file="$1" tmp
  shift
  [[ -s "$file" ]] && return 0
  tmp="$(mktemp "$file.XXXXXX")"
  if ! "$@" >"$tmp" 2>/dev/null || [[ ! -s "$tmp" ]]; then
    rm -f "$tmp"
    die "could not generate $file"
  fi
  chmod 600 "$tmp"
  ln "$tmp" "$file" 2>/dev/null || true # fails harmlessly if another run won
  rm -f "$tmp"
  [[ -s "$file" ]] || die "could not create $file"
}

mkdir -p "$SECRETS"
chmod 700 "$SECRETS"
make_secret "$SECRETS/secret_key" openssl rand -base64 48
make_secret "$SECRETS/db_password" openssl rand -hex 24
# Redis's password (the visitor limits' shared counters, issue 12).
make_secret "$SECRETS/redis_password" openssl rand -hex 24
# 32 raw random bytes: the master key that wraps each uploaded file's key.
make_secret "$SECRETS/files_master_key" openssl rand 32
chmod 600 "$SECRETS/secret_key" "$SECRETS/db_password" "$SECRETS/files_master_key" "$SECRETS/redis_password"
# Backups (dev only): the appliance's signing key and a stand-in IT key pair; on a real install IT
# keeps its private key and gives Parley only the public key.
"$ROOT/node_modules/.bin/node" "$ROOT/ops/backupKeys.ts" "$SECRETS" || die "could not create backup keys"
