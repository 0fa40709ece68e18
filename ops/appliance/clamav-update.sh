#!/usr/bin/env bash
# `make clamav-update SIGS=<dir>`: loads the ClamAV signature files an air-gapped site carried in
# (.cvd/.cld, or unofficial .ndb/.hdb/...) into the clamav-db volume, then restarts clamd on them.
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="${1:-}"
[[ -n "$src" ]] || die "usage: make clamav-update SIGS=/path/to/folder (with main.cvd, daily.cvd, bytecode.cvd)"
[[ -d "$src" ]] || die "SIGS=$src is not a folder"
src="$(cd "$src" && pwd)"
[[ -f "$ENV_FILE" ]] || die "not installed here ($ENV_FILE missing): run make install SIGS=$src"

# The import runs in the clamav image as the clamav user, with the folder mounted read-only.
quiet_compose run --rm --no-deps -T -v "$src:/import:ro" clamav import-signatures.sh /import

if [[ -n "$(container_of clamav)" ]]; then
  compose up -d --no-deps --force-recreate clamav >/dev/null 2>&1
  if ! wait_healthy 300 clamav; then
    show_logs clamav
    die "clamd did not start on the new signatures"
  fi
  say "clamd restarted on the new signatures"
fi
