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
chmod 600 "$SECRETS/secret_key" "$SECRETS/db_password"
