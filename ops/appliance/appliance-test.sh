#!/usr/bin/env bash
# `make appliance-test` (CI): proves the appliance boots from locally built images. Starts dockerd when
# it is not running, builds the base and the images (reusing the base image and layer cache), runs
# `make install` non-interactively (twice: the second run must change nothing), then from the host over
# the published HTTPS port: readiness, a visitor <-> agent conversation over Socket.IO; then backups in
# the appliance: the signing key install made, `make backup` and `make status`, GnuPG 2.2 decrypting the
# backup and checking its signature with the published public key, a drill, a restore (data and files
# back, a rollback, a restore from a file on the host and its confirmation) with IT's key streamed in;
# `make down` and `make up`, and the conversation is still there. Shows the services' logs on failure.
# Its own Compose project, ports (127.0.0.1:9443/9080), settings and volumes; removed at the end
# (PARLEY_KEEP_TEST=1 keeps them), while the images and the build cache stay for the next run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$ROOT/.parley/appliance"
WORK="$STATE/test"
export PARLEY_PROJECT=parley-appliance-test
export PARLEY_CONFIG_DIR="$WORK/config"
DOCKER=/usr/bin/docker
HTTPS_PORT=9443
HTTP_PORT=9080
PUBLIC_URL="https://localhost:$HTTPS_PORT"

started=$SECONDS
phase_started=$SECONDS
phase_name=""
phase() { # phase NAME: ends the previous phase (printing its time) and starts the next
  [[ -z "$phase_name" ]] || echo "appliance-test: ok, $phase_name ($((SECONDS - phase_started)) s)"
  phase_name="$*"
  phase_started=$SECONDS
  [[ -z "$phase_name" ]] || echo "appliance-test: == $phase_name"
}
fail() {
  echo "appliance-test: FAILED: $*" >&2
  exit 1
}

# --- Docker ---------------------------------------------------------------------------------------
missing=()
for pkg in docker.io docker-compose debootstrap clamav-testfiles gnupg; do
  [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null)" == ii* ]] || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  echo "appliance-test: installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi
mkdir -p "$STATE/logs"
if ! "$DOCKER" info >/dev/null 2>&1; then
  echo "appliance-test: starting dockerd (log: $STATE/logs/dockerd.log)"
  setsid nohup /usr/sbin/dockerd >>"$STATE/logs/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    "$DOCKER" info >/dev/null 2>&1 && break
    sleep 1
  done
  "$DOCKER" info >/dev/null 2>&1 || {
    tail -n 20 "$STATE/logs/dockerd.log" >&2
    fail "dockerd did not start"
  }
fi

# shellcheck source=ops/appliance/lib.sh
source "$ROOT/ops/appliance/lib.sh"
MAKE=(make --no-print-directory -C "$ROOT" -f "$ROOT/compose/appliance.mk")

remove_test_project() { # by label, so it works whatever state a previous run was left in
  local label="label=com.docker.compose.project=$PARLEY_PROJECT" ids
  mapfile -t ids < <("$DOCKER" ps -aq --filter "$label")
  ((${#ids[@]} == 0)) || "$DOCKER" rm -f "${ids[@]}" >/dev/null
  mapfile -t ids < <("$DOCKER" volume ls -q --filter "$label")
  ((${#ids[@]} == 0)) || "$DOCKER" volume rm -f "${ids[@]}" >/dev/null
  mapfile -t ids < <("$DOCKER" network ls -q --filter "$label")
  ((${#ids[@]} == 0)) || "$DOCKER" network rm "${ids[@]}" >/dev/null
  rm -rf "$WORK"
}

finish() {
  local rc=$?
  if ((rc != 0)); then
    echo "appliance-test: failed after $((SECONDS - started)) s; the services' logs follow" >&2
    [[ -f "$ENV_FILE" ]] && show_logs db clamav app worker
  fi
  if [[ "${PARLEY_KEEP_TEST:-0}" == 1 ]]; then
    echo "appliance-test: kept project $PARLEY_PROJECT and $WORK (PARLEY_KEEP_TEST=1)"
  else
    remove_test_project
  fi
  exit "$rc"
}
trap finish EXIT

for port in "$HTTPS_PORT" "$HTTP_PORT"; do
  if "$DOCKER" ps --format '{{.Names}} {{.Ports}}' | grep -v "^$PARLEY_PROJECT" | grep -q "127.0.0.1:$port->"; then
    fail "port $port is published by another container"
  fi
done
remove_test_project
mkdir -p "$WORK"

# --- Build, install --------------------------------------------------------------------------------
phase "build the base (when missing) and the images"
bash "$ROOT/ops/appliance/images.sh"

phase "make install (non-interactive), with test signatures loaded like an air-gapped site's"
bash "$ROOT/ops/appliance/test-signatures.sh" "$WORK/sigs" >/dev/null
install_args=(PUBLIC_URL="$PUBLIC_URL" BIND_ADDRESS=127.0.0.1 HTTPS_PORT="$HTTPS_PORT"
  HTTP_PORT="$HTTP_PORT" TLS_EXTRA_NAMES=IP:127.0.0.1 ADMIN_EMAIL=admin@parley.local)
show_log() { sed 's/^\(  Password: *\).*/\1(hidden)/' "$1" >&2; }
"${MAKE[@]}" install "${install_args[@]}" SIGS="$WORK/sigs" >"$WORK/install.log" 2>&1 || {
  show_log "$WORK/install.log"
  fail "make install failed"
}
grep -q 'Parley is installed and running' "$WORK/install.log" || fail "make install printed no sign-in"
[[ -s "$SECRETS_DIR/initial_admin_password" ]] || fail "make install stored no admin password"

phase "make install again: it must change nothing"
snapshot() {
  (cd "$CONFIG_DIR" && find . -type f -exec sha256sum {} + | sort)
  compose ps -q | sort
}
before="$(snapshot)"
"${MAKE[@]}" install "${install_args[@]}" >"$WORK/install-again.log" 2>&1 || {
  show_log "$WORK/install-again.log"
  fail "the second make install failed"
}
[[ "$(snapshot)" == "$before" ]] || fail "the second make install changed files or containers"

# --- From the host -----------------------------------------------------------------------------------
phase "runtime hardening of every container"
for service in app worker db clamav; do
  id="$(container_of "$service")"
  facts="$("$DOCKER" inspect -f '{{.Config.User}}|{{.HostConfig.ReadonlyRootfs}}|{{.HostConfig.CapDrop}}|{{.HostConfig.SecurityOpt}}|{{.HostConfig.Init}}|{{.HostConfig.Memory}}|{{.HostConfig.NanoCpus}}|{{.HostConfig.PidsLimit}}|{{.HostConfig.Privileged}}|{{.HostConfig.RestartPolicy.Name}}' "$id")"
  IFS='|' read -r user ro caps secopt init memory cpus pids privileged restart <<<"$facts"
  [[ -n "$user" && "$user" != root && "$user" != 0 && "$user" != 0:* ]] || fail "$service runs as '$user'"
  [[ "$ro" == true ]] || fail "$service: root filesystem is writable"
  [[ "$caps" == *ALL* ]] || fail "$service: capabilities not dropped ($caps)"
  [[ "$secopt" == *no-new-privileges* ]] || fail "$service: no no-new-privileges ($secopt)"
  [[ "$init" == true ]] || fail "$service: no init"
  ((memory > 0 && cpus > 0 && pids > 0)) || fail "$service: missing memory/CPU/PID limits"
  [[ "$privileged" == false ]] || fail "$service is privileged"
  [[ -n "$restart" && "$restart" != no ]] || fail "$service has no restart policy"
  uid="$("$DOCKER" exec "$id" id -u)"
  [[ "$uid" != 0 ]] || fail "$service's process runs as root"
done
# The internal network drops traffic to anything outside it (a connection attempt times out).
isolated=(db clamav)
pids=()
for service in "${isolated[@]}"; do
  (! "$DOCKER" exec "$(container_of "$service")" timeout 3 bash -c 'exec 3<>/dev/tcp/1.1.1.1/443' 2>/dev/null) &
  pids+=($!)
done
for i in "${!isolated[@]}"; do
  wait "${pids[$i]}" || fail "${isolated[$i]} can open a connection outside its internal network"
done
echo "appliance-test: every container: non-root, read-only, no capabilities, limits, init; db and clamav cannot reach out"

phase "readiness and a visitor <-> agent conversation over the published HTTPS port"
host_test=("$ROOT/node_modules/.bin/node" "$ROOT/ops/appliance/hostTest.ts"
  --state "$WORK/conversation.json" --url "https://127.0.0.1:$HTTPS_PORT"
  --http-url "http://127.0.0.1:$HTTP_PORT" --origin "$PUBLIC_URL" --ca "$TLS_DIR/ca.crt"
  --email admin@parley.local --password-file "$SECRETS_DIR/initial_admin_password")
"${host_test[@]}" converse || fail "the conversation failed"

# --- Backups in the appliance ------------------------------------------------------------------------
show() { # show FILE MESSAGE: prints FILE, then fails with MESSAGE
  cat "$1" >&2
  fail "$2"
}
BACKUPS=/var/lib/parley/backups
FILES=/var/lib/parley/uploads/files
it_key="$SECRETS_DIR/backup_private_key.asc"
in_app() { "$DOCKER" exec "$(container_of app)" bash -c "$1"; }

phase "the backup signing key: made by make install, the worker's secret only, its public half printed"
signing_pub="$CONFIG_DIR/public-keys/backup_signing_public_key.asc"
grep -qF "$signing_pub" "$WORK/install.log" || fail "make install did not print where the signing public key is"
[[ "$(stat -c '%u:%g %a' "$SECRETS_DIR/backup_signing_key.asc")" == "0:$SECRETS_GID 440" ]] ||
  fail "the signing key is not root:$SECRETS_GID 0440"
"$DOCKER" exec "$(container_of worker)" test -r /run/secrets/backup_signing_key ||
  fail "the worker cannot read its signing key"
# The only private OpenPGP key in any container is the worker's signing key (it decrypts nothing).
for service in app worker db clamav; do
  # shellcheck disable=SC2016 # the container's shell expands it
  held="$("$DOCKER" exec "$(container_of "$service")" bash -c 'grep -ls "PGP PRIVATE KEY" /run/secrets/* || true')"
  expected=""
  [[ "$service" == worker ]] && expected=/run/secrets/backup_signing_key
  [[ "$held" == "$expected" ]] || fail "$service holds private keys: '${held//$'\n'/ }', expected '$expected'"
done

phase "make backup in the appliance, and make status shows it"
in_app "echo before > $FILES/store/appliance-test-marker"
"${MAKE[@]}" appliance-backup >"$WORK/backup.log" 2>&1 || show "$WORK/backup.log" "make backup failed"
name="$(sed -n 's|^backup written: .*/\(parley-[^/]*\.tar\.gz\.gpg\)$|\1|p' "$WORK/backup.log")"
[[ -n "$name" ]] || show "$WORK/backup.log" "make backup named no backup file"
compose exec -T worker test -s "$BACKUPS/$name" || fail "$name is not in the backups volume"
"${MAKE[@]}" status >"$WORK/status.log" 2>&1 || show "$WORK/status.log" "make status failed after a backup"
grep -qF "newest:   $name, " "$WORK/status.log" || show "$WORK/status.log" "make status does not show $name"
sed -n '/^Backups/,$p' "$WORK/status.log"

phase "GnuPG 2.2 decrypts the backup with IT's key and checks the appliance's signature"
export GNUPGHOME="$WORK/gnupg"
install -d -m 0700 "$GNUPGHOME"
compose exec -T worker cat "$BACKUPS/$name" >"$WORK/$name"
gpg --batch --quiet --import "$signing_pub" "$it_key" 2>/dev/null
fingerprint="$(gpg --batch --with-colons --import-options show-only --import "$signing_pub" |
  awk -F: '$1 == "fpr" { print $10; exit }')"
gpg --batch --status-file "$WORK/gpg-status.txt" --output "$WORK/backup.tar.gz" --decrypt "$WORK/$name" \
  2>/dev/null || true
grep -q '^\[GNUPG:\] DECRYPTION_OKAY' "$WORK/gpg-status.txt" || show "$WORK/gpg-status.txt" "gpg could not decrypt"
grep -q "^\[GNUPG:\] VALIDSIG $fingerprint " "$WORK/gpg-status.txt" ||
  show "$WORK/gpg-status.txt" "the backup is not signed by the published signing key $fingerprint"
tar -tzf "$WORK/backup.tar.gz" | grep -qx 'parley-backup/manifest.json' || fail "the archive has no manifest"
tar -tzf "$WORK/backup.tar.gz" | grep -qx 'parley-backup/files/store/appliance-test-marker' ||
  fail "the archive lacks the uploaded files"
echo "appliance-test: gpg: DECRYPTION_OKAY, VALIDSIG $fingerprint"

phase "make backup-drill with IT's key streamed in; make status shows the drill"
"${MAKE[@]}" appliance-backup-drill KEY="$it_key" >"$WORK/drill.log" 2>&1 || show "$WORK/drill.log" "the drill failed"
grep -q "^last drill: .* OK — $name: " "$WORK/drill.log" || show "$WORK/drill.log" "the drill did not report OK"
"${MAKE[@]}" status >"$WORK/status.log" 2>&1 || show "$WORK/status.log" "make status failed after the drill"
grep -q '^  drill:    OK ' "$WORK/status.log" || show "$WORK/status.log" "make status does not show the drill"
grep '^  drill:' "$WORK/status.log"

phase "make restore with IT's key: data and files come back; rollback; restore from a host file, confirm"
"${host_test[@]}" send --body "Written after the backup." || fail "could not write after the backup"
in_app "rm $FILES/store/appliance-test-marker && echo after > $FILES/store/appliance-test-after"
files_are() { # files_are MARKER...: exactly these markers are in the live files folder
  local seen
  seen="$(in_app "cd $FILES/store && ls appliance-test-* 2>/dev/null" | tr '\n' ' ')"
  [[ "$seen" == "$* " ]] || fail "the files folder holds '$seen', expected '$* '"
}
"${MAKE[@]}" appliance-restore BACKUP="$name" KEY="$it_key" >"$WORK/restore.log" 2>&1 ||
  show "$WORK/restore.log" "make restore failed"
grep -q '^restored the backup of ' "$WORK/restore.log" || show "$WORK/restore.log" "make restore reported no restore"
"${host_test[@]}" messages --count 3 || fail "the restore did not bring back the chat as it was"
files_are appliance-test-marker
"${MAKE[@]}" appliance-restore-rollback >"$WORK/rollback.log" 2>&1 || show "$WORK/rollback.log" "rollback failed"
grep -q '^rolled back' "$WORK/rollback.log" || show "$WORK/rollback.log" "make restore-rollback rolled nothing back"
"${host_test[@]}" messages --count 4 || fail "the rollback did not put back the data from before the restore"
files_are appliance-test-after
chmod 0644 "$WORK/$name"
# This time with a passphrase-protected copy of IT's key: key and passphrase file travel together.
(umask 077 && printf 'correct horse battery staple\n' >"$WORK/passphrase")
(cd "$ROOT" && node_modules/.bin/node --input-type=module -e "
  import { readFileSync, writeFileSync } from 'node:fs';
  import { encryptKey, readPrivateKey } from 'openpgp';
  const key = await readPrivateKey({ armoredKey: readFileSync(process.argv[1], 'utf8') });
  const passphrase = readFileSync(process.argv[3], 'utf8').trim();
  writeFileSync(process.argv[2], (await encryptKey({ privateKey: key, passphrase })).armor(), { mode: 0o600 });
" "$it_key" "$WORK/protected.key" "$WORK/passphrase") || fail "could not protect a copy of IT's key"
"${MAKE[@]}" appliance-restore BACKUP="$WORK/$name" KEY="$WORK/protected.key" KEY_PASSPHRASE_FILE="$WORK/passphrase" \
  >"$WORK/restore2.log" 2>&1 || show "$WORK/restore2.log" "make restore of a file on the host, with a protected key, failed"
"${MAKE[@]}" appliance-restore-confirm >"$WORK/confirm.log" 2>&1 || show "$WORK/confirm.log" "confirm failed"
grep -q '^restore confirmed; dropped rollback point' "$WORK/confirm.log" ||
  show "$WORK/confirm.log" "make restore-confirm dropped no rollback point"
"${host_test[@]}" messages --count 3 || fail "the confirmed restore does not hold the chat as it was"
files_are appliance-test-marker
[[ -z "$(in_app 'ls -d /var/lib/parley/uploads/files.* 2>/dev/null')" ]] ||
  fail "a rollback copy of the files is left after restore-confirm"
# IT's key went to one-off containers' memory only: no volume holds a private key.
quiet_compose run --rm --no-deps -T ops bash -c '! grep -rlqs "PGP PRIVATE KEY" /var/lib/parley' </dev/null ||
  fail "a private key was written to a volume"
echo "appliance-test: restored, rolled back, restored from a host file and confirmed; no key left behind"

phase "make down, make up (which moves files an older install kept at the uploads volume's root)"
in_app "mkdir -p /var/lib/parley/uploads/store && echo old > /var/lib/parley/uploads/store/appliance-test-old"
"${MAKE[@]}" down >"$WORK/down.log" 2>&1 || {
  cat "$WORK/down.log" >&2
  fail "make down failed"
}
[[ -z "$(compose ps -q)" ]] || fail "make down left containers running"
"${MAKE[@]}" up || fail "make up failed"
[[ "$(in_app "ls /var/lib/parley/uploads; ls $FILES/store" | tr '\n' ' ')" == \
  "files appliance-test-marker appliance-test-old "* ]] || fail "make up did not move store/ into files/"
in_app "rm $FILES/store/appliance-test-old"

phase "the conversation is still there"
"${host_test[@]}" verify || fail "the conversation did not survive make down/up"

phase ""
echo "appliance-test: passed in $((SECONDS - started)) s (then removes its project and volumes)"
