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
IMAGES=(app db clamav redis sftp)

image_name() { echo "parley/$1:$PARLEY_VERSION"; }

# Offsite backup targets (config/appliance.env) add compose/offsite/NAME.yml for the worker and ops
# runs: the folder target's bind mount, the secrets, and for SFTP or S3 only the `offsite` network,
# their route out. With none set, no such file applies: the appliance makes no outbound connection.
offsite_overrides() { # the NAMEs the settings call for, one a line
  local dir sftp s3
  dir="$(env_value PARLEY_BACKUP_TARGET_DIR)"
  sftp="$(env_value PARLEY_BACKUP_SFTP_HOST)"
  s3="$(env_value PARLEY_BACKUP_S3_BUCKET)"
  [[ -z "$sftp$s3" ]] || echo network
  [[ -z "$dir" ]] || echo dir
  [[ -z "$sftp" ]] || echo sftp
  [[ -z "$s3" ]] || echo s3
  [[ -z "$s3" || ! -e "$SECRETS_DIR/backup_s3_ca.crt" ]] || echo s3-ca
}

compose() {
  local args=(--project-directory "$ROOT" -f "$ROOT/docker-compose.yml" -p "$PROJECT") name
  [[ -f "$ENV_FILE" ]] && args+=(--env-file "$ENV_FILE")
  for name in $(offsite_overrides); do args+=(-f "$ROOT/compose/offsite/$name.yml"); done
  # A site of a DR pair (compose/dr.yml): its database replicates with the peer's.
  [[ -z "$(env_value PARLEY_DR_PEER_DB_HOST)" ]] || args+=(-f "$ROOT/compose/dr.yml")
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

# The uploads volume keeps the files in its files/ folder (PARLEY_FILES_DIR), so that a restore can swap
# that folder for the restored one inside the volume. Installs before that kept them at the volume's
# root: files_layout moves them into files/ once, with the app and the worker stopped.
# shellcheck disable=SC2016 # run by the container's shell
FILES_LAYOUT='shopt -s nullglob dotglob
cd /var/lib/parley/uploads
old=()
for entry in *; do [[ "$entry" == files || "$entry" == files.* ]] || old+=("$entry"); done
((${#old[@]} > 0)) || exit 0
[[ "${1:-}" == move ]] || exit 10
mkdir -p -m 0700 files
for entry in "${old[@]}"; do
  if [[ -d "$entry" && -d "files/$entry" ]]; then
    find "$entry" -mindepth 1 -maxdepth 1 -exec mv -n -t "files/$entry" {} +
    rmdir "$entry" 2>/dev/null || true
  else
    mv -n "$entry" "files/$entry"
  fi
done
left=(); for entry in *; do [[ "$entry" == files || "$entry" == files.* ]] || left+=("$entry"); done
((${#left[@]} == 0)) || { echo "left in the uploads volume (also in files/): ${left[*]}" >&2; exit 1; }
echo "moved ${old[*]} into the uploads volume'"'"'s files/ folder"'

files_layout() {
  local rc=0
  compose run --rm --no-deps -T ops bash -c "$FILES_LAYOUT" files-layout check </dev/null >/dev/null 2>&1 || rc=$?
  ((rc == 0)) && return 0
  ((rc == 10)) || die "could not check the uploads volume's layout (compose run ops: exit $rc)"
  compose stop app worker >/dev/null 2>&1 || true
  if ! quiet_compose run --rm --no-deps -T ops bash -c "$FILES_LAYOUT" files-layout move </dev/null | sed 's/^/parley: /'; then
    die "could not move the uploaded files into the uploads volume's files/ folder"
  fi
}

protect() { # protect FILE...: readable by root and Parley's service accounts only
  chgrp "$SECRETS_GID" "$@"
  chmod 0440 "$@"
}

make_secret() { # make_secret FILE COMMAND...: COMMAND's output into FILE unless FILE exists
  local file="$1" tmp
  shift
  [[ -s "$file" ]] && return 0
  tmp="$(mktemp "$file.XXXXXX")"
  if ! "$@" >"$tmp" 2>/dev/null || [[ ! -s "$tmp" ]]; then
    rm -f "$tmp"
    die "could not generate $file"
  fi
  protect "$tmp"
  mv -n "$tmp" "$file"
  rm -f "$tmp"
  say "generated $file"
}

# Secrets added after a site installed (an update brings a compose file that names them): made once.
ensure_secrets() {
  [[ -s "$SECRETS_DIR/db_ops_password" && -s "$SECRETS_DIR/backup_signing_key.asc" &&
    -s "$CONFIG_DIR/public-keys/backup_signing_public_key.asc" && -s "$SECRETS_DIR/redis_password" &&
    -s "$SECRETS_DIR/metrics_token" ]] ||
    bash "$ROOT/ops/appliance/secrets.sh"
}

# Host folders a target folder must not be (nor be inside): the system's, Docker's, this site's settings.
SYSTEM_DIRS=(/bin /boot /dev /etc /lib /lib64 /proc /run /sbin /sys /usr /var/run /var/lib/docker)

# offsite_ready: checks the offsite targets' settings and files before the containers get them, so a
# mistake stops `make up` with what to do instead of an alert after the night's backup. The secret
# files get the owner and mode of the others (root:10001, 0440).
offsite_ready() {
  local name dir real system file setting
  for name in $(offsite_overrides); do
    case "$name" in
      dir)
        dir="$(env_value PARLEY_BACKUP_TARGET_DIR)"
        [[ "$dir" == /* ]] ||
          die "PARLEY_BACKUP_TARGET_DIR=$dir: give the absolute path of a folder on this server (an NFS or SMB mount)"
        [[ -d "$dir" ]] || die "PARLEY_BACKUP_TARGET_DIR=$dir: no such folder on this server (is the share mounted?)"
        real="$(realpath "$dir")"
        for system in / "${SYSTEM_DIRS[@]}" "$CONFIG_DIR"; do
          if [[ "$real" == "$system" || ("$system" != / && "$real" == "$system"/*) ]]; then
            die "PARLEY_BACKUP_TARGET_DIR=$dir is $system or inside it: give a folder of its own for the backup copies"
          fi
        done
        ;;
      sftp | s3 | s3-ca)
        case "$name" in
          sftp) file=backup_sftp_key setting="PARLEY_BACKUP_SFTP_HOST is set: put the SFTP account's private key (OpenSSH format, no passphrase)" ;;
          s3) file=backup_s3_secret_key setting="PARLEY_BACKUP_S3_BUCKET is set: put the S3 secret access key" ;;
          s3-ca) file=backup_s3_ca.crt setting="put the CA certificate (PEM) of the S3 store" ;;
        esac
        [[ -f "$SECRETS_DIR/$file" && -s "$SECRETS_DIR/$file" ]] || die "$setting in $SECRETS_DIR/$file"
        if [[ "$(stat -c '%g %a' "$SECRETS_DIR/$file")" != "$SECRETS_GID 440" ]]; then
          chgrp "$SECRETS_GID" "$SECRETS_DIR/$file"
          chmod 0440 "$SECRETS_DIR/$file"
        fi
        ;;
    esac
  done
}

# offsite_settled: after `up`, the worker can write the target folder, and a route out left from a
# target no longer configured is removed.
offsite_settled() {
  local names ids
  names=" $(offsite_overrides | tr '\n' ' ')"
  # shellcheck disable=SC2016 # expanded by the container's shell
  if [[ "$names" == *" dir "* ]] &&
    ! compose exec -T worker bash -c 'f=/var/lib/parley/offsite/.parley-write-check && : >"$f" && rm -f "$f"' \
      >/dev/null 2>&1; then
    echo "parley: WARNING: the worker (uid 10001) cannot write PARLEY_BACKUP_TARGET_DIR=$(env_value PARLEY_BACKUP_TARGET_DIR):" \
      "chown 10001:10001 it (an NFS export must not squash that uid); until then its copies fail" >&2
  fi
  if [[ "$names" != *" network "* ]]; then
    mapfile -t ids < <("$DOCKER" network ls -q --filter "label=com.docker.compose.project=$PROJECT" \
      --filter label=com.docker.compose.network=offsite)
    ((${#ids[@]} == 0)) || "$DOCKER" network rm "${ids[@]}" >/dev/null 2>&1 || true
  fi
}

# in_service SERVICE COMMAND...: in the service's running container, else in a one-off one.
in_service() {
  if [[ "$(health_of "$1")" =~ ^(healthy|starting|running|unhealthy)$ ]]; then
    compose exec -T "$@"
  else
    one_off "$@"
  fi
}

# one_off SERVICE [COMMAND...] (with `compose run` options first): a one-off container, removed after
# the run, without compose's progress lines and the exit code docker-compose v1 prints on failure.
one_off() {
  local rc
  # stderr through the filter, stdout straight through (fd 3), in order and waited for.
  {
    compose run --rm --no-deps -T "$@" 2>&1 1>&3 3>&- |
      { grep -v -E '^(Creating|Starting) |^[0-9]+$' || true; } >&2
    rc="${PIPESTATUS[0]}"
  } 3>&1
  return "$rc"
}
