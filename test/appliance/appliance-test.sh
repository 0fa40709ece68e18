#!/usr/bin/env bash
# `make appliance-test` (CI): proves the appliance boots from locally built images. Starts dockerd when
# it is not running, builds the base and the images (reusing the base image and layer cache), runs
# `make install` non-interactively (twice: the second run must change nothing), then from the host over
# the published HTTPS port: readiness, a visitor <-> agent conversation over Socket.IO; then backups in
# the appliance: the signing key install made, `make backup` and `make status`, GnuPG 2.2 decrypting the
# backup and checking its signature with the published public key (and the files key artifact), a
# drill, a restore (data and files back, a rollback, a restore from a file on the host and its
# confirmation) with IT's key streamed in; offsite copies to a host folder, to an SFTP server
# (Debian's sshd on the Docker bridge) and to an S3-compatible store (s3rver, a devDependency, over
# https with a private CA, on the Docker bridge), an alert when the SFTP server is down, restores from
# the folder's and the S3 store's copies; `make down` and `make up`, and the conversation is still
# there; the data-retention job deletes an expired chat's file from the uploads volume. Shows the
# services' logs on failure. Needs openssl, and `npm ci` done in this checkout (hostTest.ts, testS3.ts).
# Its own Compose project, ports (127.0.0.1:9443/9080, sshd on docker0:9022, s3rver on docker0:9023),
# settings and volumes; removed at the end (PARLEY_KEEP_TEST=1 keeps them), while the images and the
# build cache stay.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$ROOT/.parley/appliance"
WORK="$STATE/test"
export PARLEY_PROJECT=parley-appliance-test
export PARLEY_CONFIG_DIR="$WORK/config"
DOCKER=/usr/bin/docker
HTTPS_PORT=9443
HTTP_PORT=9080
SFTP_PORT=9022
S3_PORT=9023
METRICS_PORT=9484
PUBLIC_URL="https://localhost:$HTTPS_PORT"

TEST=appliance-test
# shellcheck source=test/appliance/testlib.sh
source "$ROOT/test/appliance/testlib.sh"

# --- Docker ---------------------------------------------------------------------------------------
ensure_docker

# shellcheck source=ops/appliance/lib.sh
source "$ROOT/ops/appliance/lib.sh"
MAKE=(make --no-print-directory -C "$ROOT" -f "$ROOT/compose/appliance.mk")

remove_test_project() {
  remove_project "$PARLEY_PROJECT"
  rm -rf "$WORK"
}

# The servers the test runs on the host: sshd and the S3 store.
sshd_pid=""
s3_pid=""
stop_pid() {
  [[ -n "$1" ]] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
stop_sshd() { stop_pid "$sshd_pid" && sshd_pid=""; }
stop_s3() { stop_pid "$s3_pid" && s3_pid=""; }

finish() {
  local rc=$?
  stop_sshd
  stop_s3
  if ((rc != 0)); then
    echo "appliance-test: failed after $((SECONDS - started)) s; the services' logs follow" >&2
    [[ -f "$ENV_FILE" ]] && show_logs db clamav redis app worker
  fi
  if [[ "${PARLEY_KEEP_TEST:-0}" == 1 ]]; then
    echo "appliance-test: kept project $PARLEY_PROJECT and $WORK (PARLEY_KEEP_TEST=1)"
  else
    remove_test_project
  fi
  exit "$rc"
}
trap finish EXIT

bridge_ip="$(ip -4 -o addr show dev docker0 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')"
[[ -n "$bridge_ip" ]] || fail "docker0 has no IPv4 address (the test's SFTP and S3 servers listen there)"
for port in "$SFTP_PORT" "$S3_PORT"; do
  ! (exec 3<>"/dev/tcp/$bridge_ip/$port") 2>/dev/null || fail "port $bridge_ip:$port is in use"
done
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
bash "$ROOT/test/appliance/test-signatures.sh" "$WORK/sigs" >/dev/null
install_args=(PUBLIC_URL="$PUBLIC_URL" BIND_ADDRESS=127.0.0.1 HTTPS_PORT="$HTTPS_PORT"
  HTTP_PORT="$HTTP_PORT" TLS_EXTRA_NAMES=IP:127.0.0.1 ADMIN_EMAIL=admin@parley.local METRICS_PORT="$METRICS_PORT")
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
for service in app worker db clamav redis; do
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
# The internal network drops traffic to anything outside it (a connection attempt times out). With no
# offsite target configured the worker is on it only, too.
isolated=(db clamav redis worker)
pids=()
for service in "${isolated[@]}"; do
  (! "$DOCKER" exec "$(container_of "$service")" timeout 3 bash -c 'exec 3<>/dev/tcp/1.1.1.1/443' 2>/dev/null) &
  pids+=($!)
done
for i in "${!isolated[@]}"; do
  wait "${pids[$i]}" || fail "${isolated[$i]} can open a connection outside its internal network"
done
offsite_networks() {
  "$DOCKER" network ls -q --filter "label=com.docker.compose.project=$PARLEY_PROJECT" \
    --filter label=com.docker.compose.network=offsite
}
networks_of() { # networks_of SERVICE: "NAME:internal" for each network its container is on
  local network
  # shellcheck disable=SC2016 # a Go template, not shell
  for network in $("$DOCKER" inspect -f '{{range $name, $n := .NetworkSettings.Networks}}{{$name}} {{end}}' "$(container_of "$1")"); do
    echo "${network#"${PARLEY_PROJECT}"_}:$("$DOCKER" network inspect -f '{{.Internal}}' "$network")"
  done | sort | tr '\n' ' '
}
[[ "$(networks_of worker)" == "backend:true " ]] ||
  fail "with no offsite target the worker is on: $(networks_of worker) (expected only the internal backend)"
[[ -z "$(offsite_networks)" ]] || fail "an offsite network exists, but no offsite target is configured"
[[ "$(networks_of redis)" == "limits:true " ]] || fail "redis is on: $(networks_of redis) (expected only limits)"
[[ "$(networks_of app)" == "backend:true edge:false limits:true " ]] || fail "the app is on: $(networks_of app)"
echo "appliance-test: every container: non-root, read-only, no capabilities, limits, init; db, clamav, redis and the worker (no offsite target) cannot reach out; only the app reaches redis"

phase "readiness and a visitor <-> agent conversation over the published HTTPS port"
host_test=("$ROOT/node_modules/.bin/node" "$ROOT/test/appliance/hostTest.ts"
  --state "$WORK/conversation.json" --url "https://127.0.0.1:$HTTPS_PORT"
  --http-url "http://127.0.0.1:$HTTP_PORT" --origin "$PUBLIC_URL" --ca "$TLS_DIR/ca.crt"
  --email admin@parley.local --password-file "$SECRETS_DIR/initial_admin_password")
"${host_test[@]}" converse || fail "the conversation failed"
"${host_test[@]}" limits || fail "the visitor limits are not enforced in Redis"

phase "Prometheus metrics on the management port (127.0.0.1): TLS, only with the bearer token"
metrics_url="https://127.0.0.1:$METRICS_PORT/metrics"
code="$(curl -sk -o /dev/null -w '%{http_code}' "$metrics_url")"
[[ "$code" == 401 ]] || fail "$metrics_url answered $code without the token"
curl -sk --fail -H "Authorization: Bearer $(cat "$SECRETS_DIR/metrics_token")" "$metrics_url" >"$WORK/metrics.txt" ||
  fail "$metrics_url refused the token in config/secrets/metrics_token"
for metric in parley_chats_active parley_chats_queued parley_agents_online parley_messages_total \
  parley_message_commit_seconds_bucket parley_clamd_up parley_database_up parley_disk_free_bytes \
  parley_backup_last_result parley_replication_configured parley_semisync_primary_active; do
  grep -q "^$metric" "$WORK/metrics.txt" || show "$WORK/metrics.txt" "/metrics has no $metric"
done
grep -E '^parley_(chats_active|clamd_up|database_up) ' "$WORK/metrics.txt"

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
for service in app worker db clamav redis; do
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
files_key="${name%.tar.gz.gpg}.files-key.gpg"
grep -qx "files master key artifact: $files_key" "$WORK/backup.log" ||
  show "$WORK/backup.log" "make backup wrote no files master key artifact"
"${MAKE[@]}" appliance-status >"$WORK/status.log" 2>&1 || show "$WORK/status.log" "make status failed after a backup"
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
# Listed to a file first: grep -q stops reading at the first match, and tar would die of SIGPIPE.
tar -tzf "$WORK/backup.tar.gz" >"$WORK/backup.list"
grep -qx 'parley-backup/manifest.json' "$WORK/backup.list" || fail "the archive has no manifest"
grep -qx 'parley-backup/files/store/appliance-test-marker' "$WORK/backup.list" ||
  fail "the archive lacks the uploaded files"
compose exec -T worker cat "$BACKUPS/$files_key" >"$WORK/$files_key"
gpg --batch --status-file "$WORK/gpg-key-status.txt" --output "$WORK/files_master_key" --decrypt \
  "$WORK/$files_key" 2>/dev/null || true
grep -q "^\[GNUPG:\] VALIDSIG $fingerprint " "$WORK/gpg-key-status.txt" ||
  show "$WORK/gpg-key-status.txt" "the files key artifact is not signed by the appliance"
cmp -s "$WORK/files_master_key" "$SECRETS_DIR/files_master_key" ||
  fail "the files key artifact does not hold config/secrets/files_master_key"
rm -f "$WORK/files_master_key"
echo "appliance-test: gpg: DECRYPTION_OKAY, VALIDSIG $fingerprint; $files_key holds files_master_key"

phase "make backup-drill with IT's key streamed in; make status shows the drill"
"${MAKE[@]}" appliance-backup-drill KEY="$it_key" >"$WORK/drill.log" 2>&1 || show "$WORK/drill.log" "the drill failed"
grep -q "^last drill: .* OK — $name: " "$WORK/drill.log" || show "$WORK/drill.log" "the drill did not report OK"
"${MAKE[@]}" appliance-status >"$WORK/status.log" 2>&1 || show "$WORK/status.log" "make status failed after the drill"
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

# --- Offsite copies -------------------------------------------------------------------------------------
phase "offsite targets: a host folder, an SFTP server and an S3 store (on docker0), in appliance.env; make up"
target_dir="$WORK/offsite-folder"
sftp_root="$WORK/offsite-sftp"
install -d -o 10001 -g 10001 -m 0750 "$target_dir"
install -d -m 0700 "$sftp_root" "$WORK/sshd" /run/sshd
ssh-keygen -q -t ed25519 -N '' -C appliance-test-host -f "$WORK/sshd/host"
ssh-keygen -q -t ed25519 -N '' -C appliance-test-client -f "$WORK/sshd/client"
cp "$WORK/sshd/client.pub" "$WORK/sshd/authorized_keys"
cat >"$WORK/sshd/sshd_config" <<CONF
ListenAddress $bridge_ip
Port $SFTP_PORT
HostKey $WORK/sshd/host
AuthorizedKeysFile $WORK/sshd/authorized_keys
PidFile $WORK/sshd/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
Subsystem sftp internal-sftp
CONF
start_sshd() {
  /usr/sbin/sshd -D -e -f "$WORK/sshd/sshd_config" >>"$WORK/sshd/sshd.log" 2>&1 &
  sshd_pid=$!
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/$bridge_ip/$SFTP_PORT") 2>/dev/null && return 0
    sleep 0.1
  done
  show "$WORK/sshd/sshd.log" "the test's sshd did not start on $bridge_ip:$SFTP_PORT"
}
start_sshd
# The S3 store: s3rver over https, its certificate for the bridge address signed by a private CA (as
# an on-prem store's), one bucket, and an account of its own.
s3_dir="$WORK/s3"
S3_BUCKET=parley-backups
S3_PREFIX=appliance-test
install -d -m 0700 "$s3_dir" "$s3_dir/objects"
s3_openssl() {
  openssl "$@" >>"$s3_dir/openssl.log" 2>&1 || show "$s3_dir/openssl.log" "openssl $1 failed (the S3 store's certificate)"
}
s3_openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=Parley appliance-test CA" -keyout "$s3_dir/ca.key" -out "$s3_dir/ca.crt"
s3_openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$bridge_ip" \
  -keyout "$s3_dir/server.key" -out "$s3_dir/server.csr"
echo "subjectAltName=IP:$bridge_ip" >"$s3_dir/san.ext"
s3_openssl x509 -req -in "$s3_dir/server.csr" -CA "$s3_dir/ca.crt" -CAkey "$s3_dir/ca.key" -CAcreateserial \
  -days 2 -extfile "$s3_dir/san.ext" -out "$s3_dir/server.crt"
s3_access_key="PARLEYTEST$(openssl rand -hex 5 | tr a-f A-F)"
(umask 077 && openssl rand -hex 20 >"$s3_dir/secret_key")
start_s3() {
  "$ROOT/node_modules/.bin/node" "$ROOT/test/appliance/testS3.ts" --address "$bridge_ip" --port "$S3_PORT" \
    --directory "$s3_dir/objects" --bucket "$S3_BUCKET" --access-key-id "$s3_access_key" \
    --secret-key-file "$s3_dir/secret_key" --key "$s3_dir/server.key" --cert "$s3_dir/server.crt" \
    >>"$s3_dir/s3rver.log" 2>&1 &
  s3_pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/$bridge_ip/$S3_PORT") 2>/dev/null && return 0
    kill -0 "$s3_pid" 2>/dev/null || break
    sleep 0.1
  done
  show "$s3_dir/s3rver.log" "the test's S3 server did not start on $bridge_ip:$S3_PORT"
}
start_s3
# The admin's part: the settings; among the secrets the SFTP account's key, the S3 secret key and the
# CA that signed the store's certificate (make up sets their mode).
cp "$WORK/sshd/client" "$SECRETS_DIR/backup_sftp_key"
cp "$s3_dir/secret_key" "$SECRETS_DIR/backup_s3_secret_key"
cp "$s3_dir/ca.crt" "$SECRETS_DIR/backup_s3_ca.crt"
cat >>"$ENV_FILE" <<ENV
PARLEY_BACKUP_TARGET_DIR=$target_dir
PARLEY_BACKUP_SFTP_HOST=$bridge_ip
PARLEY_BACKUP_SFTP_PORT=$SFTP_PORT
PARLEY_BACKUP_SFTP_USER=root
PARLEY_BACKUP_SFTP_HOST_KEY=$(ssh-keygen -lf "$WORK/sshd/host.pub" | awk '{ print $2 }')
PARLEY_BACKUP_SFTP_PATH=$sftp_root
PARLEY_BACKUP_S3_ENDPOINT=https://$bridge_ip:$S3_PORT
PARLEY_BACKUP_S3_REGION=us-east-1
PARLEY_BACKUP_S3_BUCKET=$S3_BUCKET
PARLEY_BACKUP_S3_PREFIX=$S3_PREFIX
PARLEY_BACKUP_S3_ACCESS_KEY_ID=$s3_access_key
PARLEY_BACKUP_S3_PATH_STYLE=true
PARLEY_BACKUP_OFFSITE_ATTEMPTS=2
ENV
"${MAKE[@]}" up >"$WORK/up-offsite.log" 2>&1 || show "$WORK/up-offsite.log" "make up with offsite targets failed"
grep -q WARNING "$WORK/up-offsite.log" && show "$WORK/up-offsite.log" "make up warned about the offsite targets"
for file in backup_sftp_key backup_s3_secret_key backup_s3_ca.crt; do
  [[ "$(stat -c '%u:%g %a' "$SECRETS_DIR/$file")" == "0:$SECRETS_GID 440" ]] ||
    fail "make up did not give $file the secrets' owner and mode"
done
# compose/offsite/s3.yml and s3-ca.yml apply: the worker reads the secret key and the CA from its secrets.
# shellcheck disable=SC2016 # the container's shell expands them
compose exec -T worker bash -c 'test -r "$PARLEY_BACKUP_S3_SECRET_KEY_FILE" && test -r "$PARLEY_BACKUP_S3_CA_FILE"' ||
  fail "the worker cannot read the S3 secret key and CA files its settings name"
[[ "$(networks_of worker)" == "backend:true offsite:false " ]] ||
  fail "with SFTP and S3 targets the worker is on: $(networks_of worker) (expected backend, and offsite with a route out)"
[[ "$(networks_of app)" == "backend:true edge:false limits:true " ]] || fail "the app's networks changed: $(networks_of app)"
for service in db clamav; do
  [[ "$(networks_of "$service")" == "backend:true " ]] || fail "$service joined $(networks_of "$service")"
done
echo "appliance-test: worker on $(networks_of worker); SFTP server $bridge_ip:$SFTP_PORT; S3 store https://$bridge_ip:$S3_PORT"

phase "make backup copies to the three targets and verifies them; make status and Admin › Backups show them"
"${MAKE[@]}" appliance-backup >"$WORK/backup-offsite.log" 2>&1 || show "$WORK/backup-offsite.log" "make backup with offsite targets failed"
copied="$(sed -n 's|^backup written: .*/\(parley-[^/]*\.tar\.gz\.gpg\)$|\1|p' "$WORK/backup-offsite.log")"
[[ -n "$copied" ]] || show "$WORK/backup-offsite.log" "make backup named no backup file"
sftp_target="sftp:root@$bridge_ip:$SFTP_PORT$sftp_root"
s3_target="s3:https://$bridge_ip:$S3_PORT/$S3_BUCKET/$S3_PREFIX/"
for target in dir:/var/lib/parley/offsite "$sftp_target" "$s3_target"; do
  grep -qF "offsite $target: copied and verified" "$WORK/backup-offsite.log" ||
    show "$WORK/backup-offsite.log" "make backup did not copy to $target"
done
for folder in "$target_dir" "$sftp_root"; do
  for file in "$copied" "$copied.sha256" "${copied%.tar.gz.gpg}.files-key.gpg"; do
    [[ -s "$folder/$file" ]] || fail "$folder has no $file"
  done
  (cd "$folder" && sha256sum --check --quiet "$copied.sha256") || fail "the copy in $folder does not match its .sha256"
  cmp -s "$folder/$copied.sha256" <(compose exec -T worker cat "$BACKUPS/$copied.sha256") ||
    fail "the .sha256 in $folder is not the local backup's"
done
# s3rver keeps object KEY in its folder as BUCKET/KEY._S3rver_object.
s3_object() { echo "$s3_dir/objects/$S3_BUCKET/$S3_PREFIX/$1._S3rver_object"; }
for file in "$copied" "$copied.sha256" "${copied%.tar.gz.gpg}.files-key.gpg"; do
  [[ -s "$(s3_object "$file")" ]] || fail "the S3 store has no object $S3_PREFIX/$file"
done
[[ "$(sha256sum <"$(s3_object "$copied")" | cut -d' ' -f1)" == "$(cut -d' ' -f1 "$(s3_object "$copied.sha256")")" ]] ||
  fail "the S3 store's copy of $copied does not match its .sha256"
cmp -s "$(s3_object "$copied.sha256")" <(compose exec -T worker cat "$BACKUPS/$copied.sha256") ||
  fail "the .sha256 in the S3 store is not the local backup's"
cmp -s "$(s3_object "$copied")" <(compose exec -T worker cat "$BACKUPS/$copied") ||
  fail "the S3 store's copy of $copied is not the local backup's bytes"
"${MAKE[@]}" appliance-status >"$WORK/status.log" 2>&1 || show "$WORK/status.log" "make status failed after the offsite copies"
for target in dir:/var/lib/parley/offsite "$sftp_target" "$s3_target"; do
  grep -qE "^    $target +copied and verified" "$WORK/status.log" ||
    show "$WORK/status.log" "make status does not show the copy to $target"
done
grep -qF "  on this host: $target_dir (the folder target" "$WORK/status.log" ||
  show "$WORK/status.log" "make status does not name the folder target's host path"
"${host_test[@]}" backups --newest "$copied" || fail "Admin › Backups does not show the copies"
sed -n '/^  offsite:/,$p' "$WORK/status.log"

phase "the SFTP server is down: make backup still writes the local backup, and raises an ALERT"
stop_sshd
# The scripts behind make backup and make status, for their exit status (make turns 3 into 2).
rc=0
bash "$ROOT/ops/appliance/backup.sh" backup >"$WORK/backup-down.log" 2>&1 || rc=$?
((rc == 3)) || show "$WORK/backup-down.log" "make backup with a target down exited $rc, expected 3"
local_only="$(sed -n 's|^backup written: .*/\(parley-[^/]*\.tar\.gz\.gpg\)$|\1|p' "$WORK/backup-down.log")"
[[ -n "$local_only" && "$local_only" != "$copied" ]] || show "$WORK/backup-down.log" "no new local backup"
compose exec -T worker test -s "$BACKUPS/$local_only" || fail "$local_only is not in the backups volume"
grep -qF "ALERT offsite $sftp_target: failed after 2 attempts" "$WORK/backup-down.log" ||
  show "$WORK/backup-down.log" "make backup raised no alert for the SFTP server that is down"
[[ -s "$target_dir/$local_only" ]] || fail "the folder target did not get $local_only while SFTP was down"
grep -qF "offsite $s3_target: copied and verified" "$WORK/backup-down.log" ||
  show "$WORK/backup-down.log" "the S3 store did not get $local_only while SFTP was down"
[[ -s "$(s3_object "$local_only")" ]] || fail "the S3 store has no object $S3_PREFIX/$local_only"
rc=0
bash "$ROOT/ops/appliance/status.sh" >"$WORK/status.log" 2>&1 || rc=$?
((rc == 3)) || show "$WORK/status.log" "make status exited $rc with a target down, expected 3"
grep -qF "  ALERT offsite $sftp_target: copy of $local_only failed after 2 attempts" "$WORK/status.log" ||
  show "$WORK/status.log" "make status shows no ALERT for the SFTP server that is down"
grep -qE '^(app|worker) +healthy ' "$WORK/status.log" || show "$WORK/status.log" "the services are not healthy"
"${host_test[@]}" backups --newest "$local_only" --alert "offsite $sftp_target" ||
  fail "Admin › Backups shows no alert for the SFTP server that is down"
grep '  ALERT' "$WORK/status.log"

phase "make restore BACKUP=dir:NAME KEY=agent: the folder target's copy, IT's key kept by this host's gpg-agent"
# GNUPGHOME (above) holds IT's key, as an admin's gpg-agent or card would; only the session key goes in.
"${MAKE[@]}" appliance-restore BACKUP="dir:$copied" KEY=agent >"$WORK/restore-offsite.log" 2>&1 ||
  show "$WORK/restore-offsite.log" "make restore KEY=agent of the folder target's copy failed"
[[ -z "$(find /tmp -maxdepth 2 -path '/tmp/tmp.*/session' -newer "$WORK")" ]] ||
  fail "make restore KEY=agent left the session key's temporary file in /tmp"
grep -qF "downloading $copied from dir:/var/lib/parley/offsite" "$WORK/restore-offsite.log" ||
  show "$WORK/restore-offsite.log" "the restore did not fetch the copy from the folder target"
"${MAKE[@]}" appliance-restore-confirm >"$WORK/confirm.log" 2>&1 || show "$WORK/confirm.log" "confirm failed"
"${host_test[@]}" messages --count 3 || fail "the restore of the offsite copy does not hold the chat as it was"
files_are appliance-test-marker

phase "make restore BACKUP=s3:NAME: an ops run fetches the S3 store's copy over https (the private CA)"
"${host_test[@]}" send --body "Written before the restore from S3." || fail "could not write before the S3 restore"
in_app "echo s3 > $FILES/store/appliance-test-s3"
"${MAKE[@]}" appliance-restore BACKUP="s3:$copied" KEY="$it_key" >"$WORK/restore-s3.log" 2>&1 ||
  show "$WORK/restore-s3.log" "make restore of the S3 store's copy failed"
grep -qF "downloading $copied from $s3_target" "$WORK/restore-s3.log" ||
  show "$WORK/restore-s3.log" "the restore did not fetch the copy from the S3 store"
grep -q '^restored the backup of ' "$WORK/restore-s3.log" || show "$WORK/restore-s3.log" "make restore reported no restore"
"${MAKE[@]}" appliance-restore-confirm >"$WORK/confirm.log" 2>&1 || show "$WORK/confirm.log" "confirm failed"
grep -q '^restore confirmed; dropped rollback point' "$WORK/confirm.log" ||
  show "$WORK/confirm.log" "make restore-confirm dropped no rollback point"
"${host_test[@]}" messages --count 3 || fail "the restore of the S3 copy does not hold the chat as it was"
files_are appliance-test-marker

phase "make failover FROM=offsite: the newest offsite copy that verifies replaces the data (FORCE=1: it holds chats)"
"${host_test[@]}" send --body "Written before the failover from offsite." || fail "could not write before it"
"${MAKE[@]}" appliance-failover FROM=offsite KEY="$it_key" >"$WORK/failover-refused.log" 2>&1 &&
  show "$WORK/failover-refused.log" "make failover FROM=offsite replaced a site that holds chats without FORCE=1"
grep -q 'chat(s)' "$WORK/failover-refused.log" || show "$WORK/failover-refused.log" "the refusal does not say why"
"${MAKE[@]}" appliance-failover FROM=offsite KEY="$it_key" FORCE=1 >"$WORK/failover-offsite.log" 2>&1 ||
  show "$WORK/failover-offsite.log" "make failover FROM=offsite FORCE=1 failed"
grep -qF "$local_only" "$WORK/failover-offsite.log" ||
  show "$WORK/failover-offsite.log" "it did not restore the newest offsite copy, $local_only"
grep -q 'is lost' "$WORK/failover-offsite.log" || show "$WORK/failover-offsite.log" "it printed no recovery point"
grep -qF "FILES KEY: restored from" "$WORK/failover-offsite.log" &&
  grep -qF "the files key is the backup's already" "$WORK/failover-offsite.log" ||
  show "$WORK/failover-offsite.log" "the backup's files key was not read back (this appliance's own: unchanged)"
"${MAKE[@]}" appliance-restore-confirm >"$WORK/confirm.log" 2>&1 || show "$WORK/confirm.log" "confirm failed"
"${host_test[@]}" messages --count 3 || fail "the failover from offsite does not hold the chat as it was"
files_are appliance-test-marker
grep -E 'Recovery point|is lost|RTO' "$WORK/failover-offsite.log" | head -n 3

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

# --- Data retention -------------------------------------------------------------------------------------
phase "the data-retention job deletes an expired chat with its file's bytes in the uploads volume"
expired_key="$(openssl rand -hex 16)"
in_app "echo expired > $FILES/store/$expired_key"
chat_id="$(sed -n 's/.*"chatId": *\([0-9]*\).*/\1/p' "$WORK/conversation.json")"
# The chat ended 400 days ago and holds a file (written by the app, like an upload); the worker runs
# its data-retention job once, as node-cron would, with a 30-day policy.
# shellcheck disable=SC2016 # JavaScript
retention_js='
  const [chatId, storageKey] = process.argv.slice(1);
  const { loadConfigOrExit } = await import("./config/load.ts");
  const { openDb } = await import("./app/storage/db.ts");
  const { auditLog } = await import("./app/domain/audit/auditLog.ts");
  const { workerJobs } = await import("./backup/worker/jobs.ts");
  const config = loadConfigOrExit({ process: "worker" });
  const db = openDb(config);
  try {
    const ended = new Date(Date.now() - 400 * 86400000);
    await db("chats").where({ id: chatId }).update({ status: "ended", ended_at: ended });
    await db("files").insert({ chat_id: Number(chatId), uploader_kind: "visitor", name: "expired.txt",
      size: 8, type: "text/plain", storage_key: storageKey, wrapped_key: Buffer.alloc(60),
      iv: Buffer.alloc(12), tag: Buffer.alloc(16), scanner: "appliance-test" });
    const jobs = await workerJobs({ config, db, audit: auditLog(db) });
    console.log(JSON.stringify(await jobs.find((job) => job.name === "data-retention").run()));
  } finally {
    await db.destroy();
  }'
compose exec -T -e PARLEY_RETENTION_DAYS=30 worker node --input-type=module -e "$retention_js" \
  "$chat_id" "$expired_key" >"$WORK/retention.log" 2>&1 || show "$WORK/retention.log" "the data-retention job failed"
grep -q '"chats":1,.*"files":1' "$WORK/retention.log" || show "$WORK/retention.log" "the job did not delete the chat and its file"
[[ -z "$(in_app "ls $FILES/store/$expired_key 2>/dev/null")" ]] ||
  fail "the expired file's bytes are still in the uploads volume"
echo "appliance-test: retention: $(cat "$WORK/retention.log"); $expired_key gone from the uploads volume"

phase ""
echo "appliance-test: passed in $((SECONDS - started)) s (then removes its project and volumes)"
