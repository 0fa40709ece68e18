#!/usr/bin/env bash
# Shared by the appliance scripts (sourced, not run). Host tools only: bash, coreutils, openssl, Docker
# with docker-compose v1 or the compose v2 plugin. No Node: customer servers do not have it.
#   PARLEY_CONFIG_DIR  the site's settings, secrets and certificates (default: config/)
#   PARLEY_PROJECT     the Compose project name (default: COMPOSE_PROJECT_NAME in appliance.env, else parley)
# shellcheck disable=SC2034 # the variables below are for the scripts that source this file

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DOCKER="${DOCKER:-$(command -v /usr/bin/docker || command -v docker || echo docker)}"
CONFIG_DIR="$(cd "$ROOT" && mkdir -p "${PARLEY_CONFIG_DIR:-config}" && cd "${PARLEY_CONFIG_DIR:-config}" && pwd)"
ENV_FILE="$CONFIG_DIR/appliance.env"
SECRETS_DIR="$CONFIG_DIR/secrets"
TLS_DIR="$CONFIG_DIR/tls"
STATE_DIR="${PARLEY_STATE_DIR:-$ROOT/.parley/appliance}"
# Parley's service accounts read secret files through this group (see compose/app/Dockerfile).
SECRETS_GID=10001
export PARLEY_CONFIG_DIR="$CONFIG_DIR"

die() {
  echo "parley: $*" >&2
  exit 1
}

say() { echo "parley: $*"; }

env_value() { # env_value NAME: the value of NAME in appliance.env (last assignment wins)
  [[ -f "$ENV_FILE" ]] || return 0
  sed -n "s/^[[:space:]]*$1=//p" "$ENV_FILE" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

parley_version() {
  if [[ -f "$ROOT/VERSION" ]]; then
    tr -d '[:space:]' <"$ROOT/VERSION"
  else
    sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$ROOT/package.json" | head -n 1
  fi
}
PARLEY_VERSION="${PARLEY_VERSION:-$(parley_version)}"
[[ -n "$PARLEY_VERSION" ]] || die "cannot tell Parley's version (no VERSION file or package.json)"
export PARLEY_VERSION
PROJECT="${PARLEY_PROJECT:-$(env_value COMPOSE_PROJECT_NAME)}"
PROJECT="${PROJECT:-parley}"
IMAGES=(app db clamav)

image_name() { echo "parley/$1:$PARLEY_VERSION"; }

compose() {
  local args=(--project-directory "$ROOT" -f "$ROOT/docker-compose.yml" -p "$PROJECT")
  [[ -f "$ENV_FILE" ]] && args+=(--env-file "$ENV_FILE")
  if command -v docker-compose >/dev/null 2>&1; then
    docker-compose "${args[@]}" "$@"
  else
    "$DOCKER" compose "${args[@]}" "$@"
  fi
}

container_of() { compose ps -q "$1" 2>/dev/null | head -n 1; }

health_of() { # health_of SERVICE: healthy, unhealthy, starting, restarting, exited, missing
  local id state
  id="$(container_of "$1")"
  [[ -n "$id" ]] || {
    echo missing
    return
  }
  state="$("$DOCKER" inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id" 2>/dev/null)" || {
    echo missing
    return
  }
  case "$state" in
    "running healthy") echo healthy ;;
    "running unhealthy") echo unhealthy ;;
    "running starting") echo starting ;;
    running*) echo running ;;
    *) echo "${state%% *}" ;;
  esac
}

restarts_of() { "$DOCKER" inspect -f '{{.RestartCount}}' "$(container_of "$1")" 2>/dev/null || echo 0; }

probe() { # probe SERVICE: runs the service's own healthcheck command now, in its container
  local id test=()
  id="$(container_of "$1")"
  [[ -n "$id" ]] || return 1
  # shellcheck disable=SC2016 # a Go template, not shell
  mapfile -t test < <("$DOCKER" inspect -f '{{range $i, $a := .Config.Healthcheck.Test}}{{if $i}}{{$a}}{{"\n"}}{{end}}{{end}}' "$id")
  ((${#test[@]} > 0)) && "$DOCKER" exec "$id" "${test[@]}" >/dev/null 2>&1
}

# wait_healthy SECONDS SERVICE...: polls (compose v1's `up --wait` does nothing). A service still in its
# first healthcheck interval counts as healthy once its own healthcheck command passes.
wait_healthy() {
  local deadline=$((SECONDS + $1)) service state pending
  shift
  while :; do
    pending=()
    for service in "$@"; do
      state="$(health_of "$service")"
      [[ "$state" == starting ]] && probe "$service" && state=healthy
      [[ "$state" == healthy ]] || pending+=("$service:$state")
      # A service that keeps failing will not get better by waiting.
      if [[ "$state" =~ ^(restarting|exited|dead)$ ]] && (($(restarts_of "$service") >= 3)); then
        echo "parley: $service keeps stopping ($(restarts_of "$service") restarts)" >&2
        return 1
      fi
    done
    ((${#pending[@]} == 0)) && return 0
    if ((SECONDS >= deadline)); then
      echo "parley: not healthy after the wait: ${pending[*]}" >&2
      return 1
    fi
    sleep 1
  done
}

quiet_compose() { # compose "$@" without its progress lines (errors still show)
  compose "$@" 2>&1 | { grep -v -E '^(Creating|Starting|Recreating|Stopping|Removing|Pulling|Network|Volume|Container) | is up-to-date$' || true; }
  return "${PIPESTATUS[0]}"
}

show_logs() { # show_logs SERVICE...: the last lines of each service's log, for failures
  local service
  for service in "$@"; do
    echo "----- $service: status $(health_of "$service"), last log lines -----" >&2
    compose logs --no-color --tail=40 "$service" >&2 2>&1 || true
  done
}
