#!/usr/bin/env bash
# The appliance's backup commands. They run the same ops/*.ts as a checkout's `make backup` etc., in
# the containers (in the bundle: make backup, restore, restore-confirm, restore-rollback, backup-drill,
# backup-status; in a checkout the same targets are named appliance-backup, ...):
#   backup [--prune-dry-run]      in the worker, which holds the signing key: ops/backup.ts
#   status [--json]               in the worker: ops/backupStatus.ts (exit 3 when there is an alert)
#   drill [--status]              a one-off `ops` container: ops/backupDrill.ts
#   restore                       a one-off `ops` container: ops/restore.ts, with the app and the
#   restore-confirm               worker stopped while the data is swapped (restore, rollback)
#   restore-rollback
#   failover-offsite              make failover FROM=offsite: ops/dr.ts in a one-off `ops` container
# The `ops` container uses the database account that may create and drop a restore's databases, and
# mounts the uploads volume writable; the worker and the app never get either.
# IT's private key (KEY, and KEY_PASSPHRASE_FILE, SIGNING_PUBLIC_KEY when given) travels to that
# container on stdin, as a tar unpacked in its /tmp (memory, gone with the container): it is never
# written to a volume, an image or a file on this host.
# BACKUP: a backup's name in the backups volume (or sftp:NAME, s3:NAME, dir:NAME for an offsite
# copy), or a file on this host, mounted read-only for the run.
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -f "$ENV_FILE" ]] || die "not installed here ($ENV_FILE missing): run make install"
action="${1:-}"
shift || true
KEYS_DIR=/tmp/parley-keys
BACKUP_MOUNT=/run/parley-backup

running() { [[ "$(health_of "$1")" =~ ^(healthy|starting|running|unhealthy)$ ]]; }

db_up() {
  running db || quiet_compose up -d db
  wait_healthy 180 db || {
    show_logs db
    die "the database is not healthy"
  }
}

key_file() { # key_file VARIABLE PATH: a readable file, or stop with the variable's name
  [[ -f "$2" && -r "$2" ]] || die "$1=$2: no such file (give the path of the key file on this server)"
}

# in_ops RUN_OPTIONS... -- COMMAND...: a one-off ops container. The files listed in `sent` (ROLE=PATH)
# are streamed on stdin and unpacked in the container's /tmp/parley-keys/ROLE before COMMAND runs.
declare -a sent=()
in_ops() {
  local options=() links rc=0 role
  while [[ "$1" != -- ]]; do
    options+=("$1")
    shift
  done
  shift
  if ((${#sent[@]} == 0)); then
    one_off "${options[@]}" ops "$@" </dev/null
    return
  fi
  # Symbolic links give each file its role's name in the tar; they hold no key material.
  links="$(mktemp -d)"
  for role in "${sent[@]}"; do
    ln -s "$(realpath "${role#*=}")" "$links/${role%%=*}"
  done
  # shellcheck disable=SC2016 # expanded by the container's shell
  tar -c -h -C "$links" "${sent[@]%%=*}" |
    one_off "${options[@]}" ops bash -c \
      'umask 077 && mkdir '"$KEYS_DIR"' && tar -x -C '"$KEYS_DIR"' --no-same-owner --no-same-permissions && exec "$@"' \
      parley-ops "$@" || rc=$?
  rm -rf "$links"
  return "$rc"
}

# The one-off run's options for IT's key file (and its passphrase file) and the signing public key
# given for this run: streamed in with `sent`, named to the command by environment variables.
options=()
key_options() {
  sent+=("key=$KEY")
  options+=(-e "KEY=$KEYS_DIR/key")
  [[ -n "${KEY_PASSPHRASE_FILE:-}" ]] || return 0
  key_file KEY_PASSPHRASE_FILE "$KEY_PASSPHRASE_FILE"
  sent+=("passphrase=$KEY_PASSPHRASE_FILE")
  options+=(-e "KEY_PASSPHRASE_FILE=$KEYS_DIR/passphrase")
}
signing_key_option() {
  [[ -n "${SIGNING_PUBLIC_KEY:-}" ]] || return 0
  key_file SIGNING_PUBLIC_KEY "$SIGNING_PUBLIC_KEY"
  sent+=("signing.asc=$SIGNING_PUBLIC_KEY")
  options+=(-e "SIGNING_PUBLIC_KEY=$KEYS_DIR/signing.asc")
}

install_files_key() { # install_files_key FILE: the restored files key in place (the old one kept)
  local live="$SECRETS_DIR/files_master_key" kept
  [[ -s "$1" ]] || return 0
  if [[ -s "$live" ]] && cmp -s "$1" "$live"; then
    say "the files key is the backup's already: $live"
    return 0
  fi
  kept=""
  if [[ -e "$live" ]]; then
    kept="$live.replaced-$(date -u +%Y%m%dT%H%M%SZ)"
    mv "$live" "$kept"
  fi
  install -m 0440 -g "$SECRETS_GID" "$1" "$live"
  say "put the backup's files key in $live${kept:+ (the one it replaced: $kept)}"
}

restart_app() {
  say "starting the app and the worker again"
  quiet_compose up -d app worker
  wait_healthy 240 app worker || {
    show_logs app worker
    die "the app or the worker did not come back; the logs above say why"
  }
}

agent_dir=""
stop_app() { # the restore replaces the data under them: nothing may write meanwhile
  say "stopping the app and the worker while the data is swapped"
  compose stop app worker >/dev/null 2>&1
  trap 'forget_session_key; restart_app' EXIT
}
forget_session_key() { [[ -z "$agent_dir" ]] || rm -rf "$agent_dir"; }

case "$action" in
  backup)
    db_up
    in_service worker node ops/backup.ts "$@"
    ;;
  status)
    in_service worker node ops/backupStatus.ts "$@"
    ;;
  drill)
    db_up
    if [[ " $* " == *" --status "* ]]; then
      in_service worker node ops/backupDrill.ts --status
      exit
    fi
    [[ -n "${KEY:-}" ]] || die "usage: make backup-drill KEY=<IT private key file (or a drill key among the recipients)>"
    key_file KEY "$KEY"
    sent=("key=$KEY")
    in_ops -e "KEY=$KEYS_DIR/key" -- node ops/backupDrill.ts "$@"
    ;;
  restore)
    [[ -n "${BACKUP:-}" && -n "${KEY:-}" ]] ||
      die "usage: make restore BACKUP=<backup name, sftp:|s3:|dir:NAME, or file> KEY=<IT private key file, or agent> [KEY_PASSPHRASE_FILE=<file>] [SIGNING_PUBLIC_KEY=<file>]"
    [[ "$KEY" == agent ]] || key_file KEY "$KEY"
    signing_key_option
    backup="$BACKUP"
    if [[ "$BACKUP" != */* && "$BACKUP" != *:* ]]; then
      # A name in the backups volume: checked before the app stops.
      in_service worker test -f "/var/lib/parley/backups/$BACKUP" ||
        die "no backup named $BACKUP in the backups volume (make backup-status shows the newest)"
    elif [[ "$BACKUP" == */* && -f "$BACKUP" ]]; then
      # A file on this host: only that file is mounted, read-only, for this run.
      file="$(realpath "$BACKUP")"
      read -r uid gid mode < <(stat -c '%u %g %a' "$file")
      if ! ((8#$mode & 8#004)) && ! { [[ "$gid" == "$SECRETS_GID" ]] && ((8#$mode & 8#040)); } &&
        ! { [[ "$uid" == 10001 ]] && ((8#$mode & 8#400)); }; then
        die "$file is not readable by Parley's containers (uid 10001): chgrp $SECRETS_GID '$file' && chmod g+r '$file' (a backup is encrypted; the key stays with you)"
      fi
      backup="$BACKUP_MOUNT/$(basename "$file")"
      options+=(-v "$file:$backup:ro")
    fi
    db_up
    if [[ "$KEY" == agent ]]; then
      # IT's key stays with this server's GnuPG (gpg-agent, a card): gpg reads the backup's first
      # 64 KiB (its key packets), and only the session key, good for this backup alone, goes in.
      command -v gpg >/dev/null || die "KEY=agent needs GnuPG (gpg) on this server, holding IT's key"
      agent_dir="$(mktemp -d)"
      trap forget_session_key EXIT
      in_ops "${options[@]}" -e "BACKUP=$backup" -- node ops/restore.ts --head >"$agent_dir/head" ||
        die "could not read the start of $BACKUP"
      gpg --batch --status-fd 1 --show-session-key --decrypt --output /dev/null <"$agent_dir/head" \
        >"$agent_dir/status" 2>"$agent_dir/gpg.log" || true
      (umask 077 && sed -n 's/^\[GNUPG:\] SESSION_KEY \([0-9]*:[0-9A-F]*\)$/\1/p' "$agent_dir/status" >"$agent_dir/session")
      [[ -s "$agent_dir/session" ]] ||
        die "GnuPG could not decrypt the backup's session key: $(grep -v '^gpg: encrypted with' "$agent_dir/gpg.log" | tail -n 1) (is IT's key in gpg-agent, or the card inserted?)"
      sent+=("session=$agent_dir/session")
      options+=(-e "KEY_SESSION_FILE=$KEYS_DIR/session")
    else
      key_options
    fi
    stop_app
    in_ops "${options[@]}" -e "BACKUP=$backup" -- node ops/restore.ts
    ;;
  failover-offsite)
    # make failover FROM=offsite (issue 15; ops/dr/fromOffsite.ts): no standby, so this appliance is
    # rebuilt from the newest offsite copy that verifies, IT's key streamed in as for a restore.
    [[ -n "${KEY:-}" && "$KEY" != agent ]] ||
      die "usage: make failover FROM=offsite KEY=<IT private key file> [KEY_PASSPHRASE_FILE=<file>] [SIGNING_PUBLIC_KEY=<the lost appliance's signing public key>] [FORCE=1]  (KEY=agent opens one backup at a time: use make restore BACKUP=sftp:|s3:|dir:NAME KEY=agent)"
    key_file KEY "$KEY"
    key_options
    signing_key_option
    db_up
    stop_app
    # The backup's files key comes back through a folder of this run only (the ops container cannot
    # write config/secrets/), then takes files_master_key's place before the app starts again.
    agent_dir="$(mktemp -d)"
    chown 10001:10001 "$agent_dir"
    in_ops "${options[@]}" -e FROM=offsite -e "FORCE=${FORCE:-}" -e "SUDO_USER=${SUDO_USER:-${USER:-root}}" \
      -v "$agent_dir:/run/parley-files-key" -e PARLEY_FILES_MASTER_KEY_FILE=/run/parley-files-key/files_master_key \
      -- node ops/dr.ts failover
    install_files_key "$agent_dir/files_master_key"
    ;;
  restore-confirm)
    db_up
    in_ops -- node ops/restore.ts --confirm
    ;;
  restore-rollback)
    db_up
    stop_app
    in_ops -- node ops/restore.ts --rollback
    ;;
  *)
    die "usage: ops/appliance/backup.sh backup|status|drill|restore|restore-confirm|restore-rollback|failover-offsite"
    ;;
esac
