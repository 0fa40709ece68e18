#!/usr/bin/env bash
# `make install`: first run on a new server. Writes config/appliance.env, generates every secret and the
# TLS certificate, builds or loads the images, loads ClamAV signatures, starts the stack, migrates the
# database, creates the first admin and prints how to sign in. Running it again changes nothing that
# exists: every step creates only what is missing.
# Settings for the first run (later, edit config/appliance.env):
#   PUBLIC_URL=https://chat.bank.example  BIND_ADDRESS=0.0.0.0  HTTPS_PORT=443  HTTP_PORT=80
#   WIDGET_ORIGINS=https://www.bank.example  ADMIN_EMAIL=it@bank.example  TLS_EXTRA_NAMES=IP:10.0.0.5
#   METRICS_PORT=9464   (the Prometheus endpoint's published port, on 127.0.0.1 until the admin sets
#                        PARLEY_METRICS_BIND_ADDRESS to a management address)
#   SIGS=/media/usb/clamav   (air-gapped: the folder with main.cvd, daily.cvd, bytecode.cvd)
# A site of a DR pair (compose/README-install.md, "Disaster recovery"; ops/appliance/dr.sh):
#   ROLE=primary PEER=<standby's database address[:port]> DR_ADDRESS=<this site's, on the sites' link>
#   ROLE=standby PEER=<primary's ...> DR_ADDRESS=<...>   (make install takes PRIMARY= for PEER=), after
#   copying config/secrets/ and config/dr/ca.crt from the primary: the standby is seeded from the
#   primary's database and serves no chats until make failover.
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $EUID -eq 0 ]] || die "run make install as root (it sets the owner of secret files)"
"$DOCKER" info >/dev/null 2>&1 || die "Docker is not running (systemctl start docker)"
command -v docker-compose >/dev/null 2>&1 || "$DOCKER" compose version >/dev/null 2>&1 ||
  die "Docker Compose is missing (docker-compose v1 or the docker compose v2 plugin)"

# --- 1. Settings ------------------------------------------------------------------------------------
if [[ ! -f "$ENV_FILE" ]]; then
  public_url="${PUBLIC_URL:-https://$(hostname -f 2>/dev/null || hostname)}"
  [[ "$public_url" =~ ^https://[A-Za-z0-9.-]+(:[0-9]+)?/?$ ]] ||
    die "PUBLIC_URL=$public_url: give the address agents will use, e.g. PUBLIC_URL=https://chat.example.com"
  sed -e "s|@PUBLIC_URL@|${public_url%/}|" \
    -e "s|@BIND_ADDRESS@|${BIND_ADDRESS:-0.0.0.0}|" \
    -e "s|@HTTPS_PORT@|${HTTPS_PORT:-443}|" \
    -e "s|@HTTP_PORT@|${HTTP_PORT:-80}|" \
    -e "s|@WIDGET_ORIGINS@|${WIDGET_ORIGINS:-}|" \
    -e "s|@ADMIN_EMAIL@|${ADMIN_EMAIL:-admin@parley.local}|" \
    -e "s|@TLS_EXTRA_NAMES@|${TLS_EXTRA_NAMES:-}|" \
    -e "s|@METRICS_PORT@|${METRICS_PORT:-9464}|" \
    -e "s|@PROJECT@|$PROJECT|" \
    "$ROOT/compose/appliance.env.template" >"$ENV_FILE.tmp"
  chmod 0644 "$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  say "wrote $ENV_FILE (the site's settings: edit it, then run make up)"
fi

first_dr=""
if [[ -n "${ROLE:-}" && -z "$(env_value PARLEY_DR_PEER_DB_HOST)" ]]; then
  bash "$ROOT/ops/appliance/dr.sh" configure "$ROLE" "${PEER:-}" "${DR_ADDRESS:-}"
  first_dr=1
fi

# --- 2. Images --------------------------------------------------------------------------------------
missing=()
for name in "${IMAGES[@]}"; do
  "$DOCKER" image inspect "$(image_name "$name")" >/dev/null 2>&1 || missing+=("$name")
done
if ((${#missing[@]} > 0)); then
  if [[ -f "$ROOT/images/parley-images.tar" ]]; then
    bash "$ROOT/ops/appliance/load.sh"
  elif [[ -f "$ROOT/compose/app/Dockerfile" ]]; then
    bash "$ROOT/ops/appliance/images.sh"
  else
    die "the images parley/{${missing[*]}}:$PARLEY_VERSION are not loaded and cannot be built here: run make load"
  fi
fi

# --- 3. Secrets and TLS -----------------------------------------------------------------------------
bash "$ROOT/ops/appliance/dr.sh" secrets "${ROLE:-}"
bash "$ROOT/ops/appliance/secrets.sh"

# --- 4. Virus signatures ----------------------------------------------------------------------------
if [[ -n "${SIGS:-}" ]]; then
  bash "$ROOT/ops/appliance/clamav-update.sh" "$SIGS"
elif ! compose run --rm --no-deps -T clamav signatures.sh >/dev/null 2>&1; then
  if [[ ",$(env_value COMPOSE_PROFILES)," == *,freshclam,* ]]; then
    say "downloading ClamAV signatures with freshclam (first time: a few minutes)"
    quiet_compose run --rm --no-deps -T freshclam freshclam || die "freshclam could not download the signatures"
  else
    cat >&2 <<'MSG'
parley: ClamAV has no virus signatures yet, and Parley does not start its scanner without them.
  Air-gapped site: bring main.cvd, daily.cvd and bytecode.cvd (from a machine with internet) and run
                     make install SIGS=/path/to/that/folder
  Online site:     set COMPOSE_PROFILES=freshclam in config/appliance.env and run make install again
MSG
    exit 1
  fi
fi

# --- 5. Start, migrate, admin -----------------------------------------------------------------------
offsite_ready
quiet_compose up -d db clamav
wait_healthy 180 db || {
  show_logs db
  die "the database did not become healthy"
}
# A standby's schema and data come from its primary; only a primary migrates and has a first admin.
role="$(DR_FIRST_INSTALL="$first_dr" bash "$ROOT/ops/appliance/dr.sh" settle "${ROLE:-}")"
[[ "$role" == standby ]] || quiet_compose run --rm --no-deps -T app node ops/migrate.ts | sed 's/^/parley: /'
files_layout
quiet_compose up -d --remove-orphans
if ! wait_healthy 240 db clamav redis app worker; then
  show_logs db clamav redis app worker
  die "Parley did not come up; the logs above say why (make logs shows more)"
fi
offsite_settled
if [[ "$role" == standby ]]; then
  cat <<DONE

Parley is installed as the standby of $(env_value PARLEY_DR_PEER_DB_HOST):$(env_value PARLEY_DR_PEER_DB_PORT).
  It replicates the primary's database and serves no chats; make dr-status shows how closely it follows.
  If the primary is lost: make failover (here), then point $(env_value PARLEY_PUBLIC_URL) at this site.
DONE
  exit 0
fi

admin_email="$(env_value PARLEY_ADMIN_EMAIL)"
admin_file="$SECRETS_DIR/initial_admin_password"
output="$(compose exec -T app node ops/admin.ts --email "${admin_email:-admin@parley.local}" --if-none)" ||
  die "could not create the first admin: $output"
password="$(sed -n 's/^  password: //p' <<<"$output")"
if [[ -n "$password" ]]; then
  (
    umask 077
    printf '%s\n' "$password" >"$admin_file"
  )
fi

cat <<DONE

Parley is installed and running.
  Sign in at:   $(env_value PARLEY_PUBLIC_URL)/
  Email:        ${admin_email:-admin@parley.local}
DONE
if [[ -s "$admin_file" ]]; then
  echo "  Password:     $(cat "$admin_file")"
  echo "                (also in $admin_file: change it after signing in, then delete that file)"
else
  echo "  Password:     set at the first install (the accounts already exist)"
fi
if [[ -f "$TLS_DIR/ca.crt" ]]; then
  echo "  TLS:          signed by this server's internal CA; have browsers trust $TLS_DIR/ca.crt,"
  echo "                or put your certificate in $TLS_DIR/ (see README.md there) and run make down up"
fi
echo "  Backups:      every night (PARLEY_BACKUP_CRON) into the backups volume; make backup takes one now."
echo "                Encrypted to $SECRETS_DIR/backup_public_key.asc and signed by this appliance."
echo "                Its signing public key, to check backups when restoring: $CONFIG_DIR/public-keys/backup_signing_public_key.asc"
if [[ -f "$SECRETS_DIR/backup_private_key.asc" ]]; then
  echo "                Move $SECRETS_DIR/backup_private_key.asc off this server (restores need it)."
fi
echo "                Each backup has the key of the uploaded files beside it, parley-<time>.files-key.gpg,"
echo "                encrypted to the same key (a new server needs it: see Backups in compose/README-install.md)."
echo "  Status:       make status        Logs: make logs        Stop: make down"
