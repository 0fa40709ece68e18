#!/bin/bash
# Healthy when Redis answers PING with the password (redis-cli reads it from REDISCLI_AUTH).
set -euo pipefail
REDISCLI_AUTH="$(tr -d '\n' <"${PARLEY_REDIS_PASSWORD_FILE:-/run/secrets/redis_password}")"
export REDISCLI_AUTH
[[ "$(timeout 4 redis-cli -h 127.0.0.1 -p 6379 --no-auth-warning ping)" == PONG ]]
