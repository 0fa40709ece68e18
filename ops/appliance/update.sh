#!/usr/bin/env bash
# `make update`: rebuilds the images on a freshly patched Debian base (from a checkout; a bundle host
# runs `make load` with the new bundle first), then migrates and restarts. Data lives in named volumes,
# which are never removed here.
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -f "$ENV_FILE" && -s "$SECRETS_DIR/db_password" ]] || die "not installed here: run make install"
if [[ -f "$ROOT/compose/app/Dockerfile" ]]; then
  base="${PARLEY_BASE_IMAGE:-$(env_value PARLEY_BASE_IMAGE)}"
  if [[ "${base:-parley/base:bookworm}" == parley/base:* ]]; then
    bash "$ROOT/ops/appliance/images.sh" --rebuild
  else
    # A registry base: a new digest in PARLEY_BASE_IMAGE is the patched base.
    bash "$ROOT/ops/appliance/images.sh"
  fi
else
  for name in "${IMAGES[@]}"; do
    "$DOCKER" image inspect "$(image_name "$name")" >/dev/null 2>&1 ||
      die "$(image_name "$name") is not loaded: run make load with the new bundle first"
  done
fi

ensure_secrets
# No writes while the schema changes: stop the app and worker, migrate, then start everything.
compose stop app worker >/dev/null 2>&1 || true
quiet_compose up -d db clamav
wait_healthy 180 db || {
  show_logs db
  die "the database did not become healthy"
}
# A DR standby (read-only) takes the primary's migrations by replication: update the primary first.
if [[ "$(bash "$ROOT/ops/appliance/dr.sh" settle "")" == primary ]]; then
  quiet_compose run --rm --no-deps -T app node ops/migrate.ts | sed 's/^/parley: /'
else
  say "not migrated here: the schema comes from the primary (if this is the primary, make dr-resume, then make update again)"
fi
bash "$ROOT/ops/appliance/up.sh"
# Exit 3 from status is a backup alert (no backup yet, a failed drill): the update itself went well.
bash "$ROOT/ops/appliance/status.sh" || (($? == 3))
