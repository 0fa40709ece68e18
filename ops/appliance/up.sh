#!/usr/bin/env bash
# `make up`: starts the installed stack (or applies changed settings) and waits until it is healthy.
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -f "$ENV_FILE" && -s "$SECRETS_DIR/db_password" ]] || die "not installed here: run make install"
ensure_secrets
offsite_ready
files_layout
quiet_compose up -d --remove-orphans
services=(db clamav redis app worker)
if [[ ",$(env_value COMPOSE_PROFILES)," == *,freshclam,* ]]; then
  services+=(freshclam)
else
  # The profile was turned off: its updater must not keep running.
  quiet_compose rm -s -f freshclam >/dev/null
fi
if ! wait_healthy 300 db clamav redis app worker; then
  show_logs "${services[@]}"
  die "Parley did not come up; the logs above say why"
fi
offsite_settled
say "Parley is up at $(env_value PARLEY_PUBLIC_URL)/"
# A site of a DR pair starts read-only (compose/db/dr.cnf): say what it is and what would change that.
[[ -z "$(env_value PARLEY_DR_PEER_DB_HOST)" || "$(bash "$ROOT/ops/appliance/dr.sh" settle "")" == primary ]] ||
  say "it serves no chats: it is a standby (make dr-status), or a primary that restarted (make dr-resume)"
