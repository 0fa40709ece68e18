#!/bin/bash
# Starts Redis as the redis user with the password from the Compose secret. The configuration goes
# to redis-server on its standard input, so the password is never on a command line or in a file.
set -euo pipefail

PASSWORD_FILE="${PARLEY_REDIS_PASSWORD_FILE:-/run/secrets/redis_password}"

die() {
  echo "parley-redis: $*" >&2
  exit 78
}

if [[ "${1:-}" == redis-server ]]; then
  [[ -r "$PASSWORD_FILE" && -s "$PASSWORD_FILE" ]] ||
    die "the Redis password secret $PASSWORD_FILE is missing or empty; run \`make install\`"
  password="$(tr -d '\n' <"$PASSWORD_FILE")"
  [[ "$password" =~ ^[A-Za-z0-9]{16,}$ ]] || die "the Redis password must be 16 or more letters and digits"
  exec redis-server - < <(
    cat /etc/redis/parley.conf
    printf 'requirepass %s\n' "$password"
  )
fi
exec "$@"
