#!/usr/bin/env bash
# `make status`: each service's health and image version, the base image's age, the app's readiness
# and the age of the virus signatures clamd has loaded.
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -f "$ENV_FILE" ]] || die "not installed here ($ENV_FILE missing): run make install"
services=(app worker db clamav)
[[ ",$(env_value COMPOSE_PROFILES)," == *,freshclam,* ]] && services+=(freshclam)
rc=0
declare -A healths
software() { # software SERVICE CONTAINER: the version of what the service runs
  local version
  case "$1" in
    app | worker) version="$("$DOCKER" exec "$2" node --version)" && echo "Node ${version#v}" ;;
    db) "$DOCKER" exec "$2" mariadbd --version | sed -n 's/.*Ver \([0-9.]*\).*/MariaDB \1/p' ;;
    clamav | freshclam) "$DOCKER" exec "$2" clamd --version | cut -d/ -f1 ;;
  esac
}
printf '%-10s %-10s %-20s %-26s %s\n' SERVICE HEALTH IMAGE SOFTWARE "BASE (built)"
for service in "${services[@]}"; do
  health="$(health_of "$service")"
  # "starting": within its first healthcheck interval; its own check passing now is good enough.
  [[ "$health" == starting ]] && probe "$service" && health="healthy"
  [[ "$health" == healthy ]] || rc=1
  healths[$service]="$health"
  id="$(container_of "$service")"
  image="-"
  base="-"
  version="-"
  if [[ -n "$id" ]]; then
    image="$("$DOCKER" inspect -f '{{.Config.Image}}' "$id")"
    [[ "$health" =~ ^(healthy|unhealthy|starting|running)$ ]] && version="$(software "$service" "$id" 2>/dev/null || echo -)"
    base="$("$DOCKER" inspect -f '{{index .Config.Labels "org.opencontainers.image.base.name"}} ({{index .Config.Labels "parley.base.created"}})' "$id")"
  fi
  printf '%-10s %-10s %-20s %-26s %s\n' "$service" "$health" "$image" "${version:--}" "$base"
done

echo
if [[ "${healths[app]}" == healthy ]]; then
  compose exec -T app node ops/appliance/healthcheck.ts readiness || rc=1
else
  echo "readiness: the app is not running"
fi
echo
if [[ "${healths[clamav]}" =~ ^(healthy|running|starting|unhealthy)$ ]]; then
  echo "ClamAV signatures (clamav-db volume):"
  compose exec -T clamav signatures.sh | sed 's/^/  /' || rc=1
else
  echo "ClamAV signatures (clamav-db volume):"
  compose run --rm --no-deps -T clamav signatures.sh | sed 's/^/  /' ||
    echo "  none: load them with make clamav-update SIGS=<folder>"
fi
exit "$rc"
