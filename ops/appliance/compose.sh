#!/usr/bin/env bash
# `make down`, `make logs`: docker-compose with this site's project, compose file and settings.
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -f "$ENV_FILE" ]] || die "not installed here ($ENV_FILE missing): run make install"
compose "$@"
