#!/usr/bin/env bash
# `make status`: each service's health and image version, the base image's age, the app's readiness,
# the age of the virus signatures clamd has loaded, and the backups: the newest one, the last restore
# drill, the offsite copies and every alert (ops/backupStatus.ts, run in the worker), then every alert
# condition of the Prometheus rules in words, OK or what to do (ops/status.ts, run in the app).
# Exit status: 1 when a service is not healthy, else 3 when the backups raise an alert or a
# condition fires, else 0.
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -f "$ENV_FILE" ]] || die "not installed here ($ENV_FILE missing): run make install"
services=(app worker db clamav redis)
[[ ",$(env_value COMPOSE_PROFILES)," == *,freshclam,* ]] && services+=(freshclam)
[[ -z "$(env_value PARLEY_DR_PEER_DB_HOST)" ]] || services+=(sftp) # a DR pair's file receiver
rc=0
declare -A healths
software() { # software SERVICE CONTAINER: the version of what the service runs
  local version
  case "$1" in
    app | worker) version="$("$DOCKER" exec "$2" node --version)" && echo "Node ${version#v}" ;;
    db) "$DOCKER" exec "$2" mariadbd --version | sed -n 's/.*Ver \([0-9.]*\).*/MariaDB \1/p' ;;
    clamav | freshclam) "$DOCKER" exec "$2" clamd --version | cut -d/ -f1 ;;
    redis) "$DOCKER" exec "$2" redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/Redis \1/p' ;;
    sftp) "$DOCKER" exec "$2" /usr/sbin/sshd -V 2>&1 | sed -n 's/^\(OpenSSH_[^,]*\).*/\1/p' ;;
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

echo
backup_rc=0
in_service worker node ops/backupStatus.ts || backup_rc=$?
volume="$("$DOCKER" volume inspect -f '{{.Mountpoint}}' "${PROJECT}_backups" 2>/dev/null || true)"
[[ -z "$volume" ]] || echo "  on this host: $volume (the backups volume)"
target_dir="$(env_value PARLEY_BACKUP_TARGET_DIR)"
[[ -z "$target_dir" ]] || echo "  on this host: $target_dir (the folder target, dir:/var/lib/parley/offsite)"
if ((backup_rc != 0 && backup_rc != 3)); then
  echo "  could not read the backup status (exit $backup_rc)"
  rc=1
fi

echo
conditions_rc=0
in_service app node ops/status.ts || conditions_rc=$?
if ((conditions_rc != 0 && conditions_rc != 3)); then
  echo "  could not evaluate the alert conditions (exit $conditions_rc)"
  rc=1
fi
((rc != 0)) || rc="$backup_rc"
((rc != 0)) || rc="$conditions_rc"
exit "$rc"
