#!/usr/bin/env bash
# `make dr-test` (CI, after appliance-test, whose images it reuses): a DR pair of appliances on this
# host (issue 15). Site A is installed as the primary and site B as its standby, each its own Compose
# project, settings and volumes; their databases are published on docker0 (A :9306, B :9307) as the
# sites' link, their file receivers (sftp) on :9322 and :9323. Checks: B is seeded and replicates over
# TLS with semi-sync and serves no chats (its /readyz says standby); the published database port takes
# TLS only; a visitor and an agent talk on A, the visitor shares a file, which A's worker ships to B,
# and a backup is taken on A; A's app and database are killed (SIGKILL); make failover on B refuses
# without FORCE (A unreachable) and promotes with FORCE=1; every message acknowledged on A is on B,
# which serves the same chat and the file; A comes back read-only and make rejoin makes it B's standby
# from its own position, with nothing B took since missing. Prints the RTO.
# A separate target rather than more of appliance-test: two whole stacks at once (clamd twice) would
# double that test's memory, and keeping them apart lets each fail on its own. PARLEY_KEEP_TEST=1
# keeps the projects.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$ROOT/.parley/appliance"
WORK="$STATE/dr-test"
DOCKER=/usr/bin/docker
TEST=dr-test
# shellcheck source=test/appliance/testlib.sh
source "$ROOT/test/appliance/testlib.sh"
ensure_docker

PUBLIC_URL="https://localhost:9453" # the public name both sites answer for
declare -A HTTPS=([a]=9453 [b]=9463) HTTP=([a]=9090 [b]=9091) DB=([a]=9306 [b]=9307) FILES=([a]=9322 [b]=9323)
declare -A METRICS=([a]=9474 [b]=9475)
project() { echo "parley-dr-test-$1"; }
site() { # site a|b MAKE_TARGET [VAR=VALUE...]: a make target of the appliance, as IT runs it there
  local s="$1"
  shift
  PARLEY_PROJECT="$(project "$s")" PARLEY_CONFIG_DIR="$WORK/$s/config" \
    make --no-print-directory -C "$ROOT" -f "$ROOT/compose/appliance.mk" "$@"
}
container() { # container SITE SERVICE
  "$DOCKER" ps -q --filter "label=com.docker.compose.project=$(project "$1")" \
    --filter "label=com.docker.compose.service=$2" | head -n 1
}
host_test() { # host_test SITE COMMAND [ARGS...]: test/appliance/hostTest.ts against that site's port
  local s="$1"
  shift
  "$ROOT/node_modules/.bin/node" "$ROOT/test/appliance/hostTest.ts" "$1" --state "$WORK/conversation.json" \
    --url "https://127.0.0.1:${HTTPS[$s]}" --http-url "http://127.0.0.1:${HTTP[$s]}" --origin "$PUBLIC_URL" \
    --ca "$WORK/a/config/tls/ca.crt" --email admin@parley.local \
    --password-file "$WORK/a/config/secrets/initial_admin_password" "${@:2}"
}
expect_in() { # expect_in FILE REGEX MESSAGE
  grep -qE "$2" "$1" || {
    cat "$1" >&2
    fail "$3"
  }
}
remove_all() {
  remove_project "$(project a)"
  remove_project "$(project b)"
  rm -rf "$WORK"
}
finish() {
  local rc=$? s service
  if ((rc != 0)); then
    echo "$TEST: failed after $((SECONDS - started)) s; the services' logs follow" >&2
    for s in a b; do
      for service in db app; do
        echo "----- site $s: $service -----" >&2
        [[ -z "$(container "$s" "$service")" ]] || "$DOCKER" logs --tail 30 "$(container "$s" "$service")" >&2 2>&1
      done
    done
  fi
  if [[ "${PARLEY_KEEP_TEST:-0}" == 1 ]]; then echo "$TEST: kept $(project a), $(project b) and $WORK"; else remove_all; fi
  exit "$rc"
}
trap finish EXIT

bridge="$(ip -4 -o addr show dev docker0 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')"
[[ -n "$bridge" ]] || fail "docker0 has no IPv4 address (the sites' databases are published there)"
remove_all
mkdir -p "$WORK"

phase "images (built by appliance-test; built here when missing)"
bash "$ROOT/ops/appliance/images.sh"
bash "$ROOT/test/appliance/test-signatures.sh" "$WORK/sigs" >/dev/null
common=(PUBLIC_URL="$PUBLIC_URL" BIND_ADDRESS=127.0.0.1 TLS_EXTRA_NAMES=IP:127.0.0.1 ADMIN_EMAIL=admin@parley.local
  SIGS="$WORK/sigs")
install_site() { # install_site SITE ROLE PEER_SITE: make install as IT runs it there (PRIMARY= on a standby)
  local s="$1" role="$2" peer="$3" name=PEER
  [[ "$role" == standby ]] && name=PRIMARY
  site "$s" install "${common[@]}" HTTPS_PORT="${HTTPS[$s]}" HTTP_PORT="${HTTP[$s]}" METRICS_PORT="${METRICS[$s]}" ROLE="$role" \
    "$name=$bridge:${DB[$peer]}" DR_ADDRESS="$bridge:${DB[$s]}" \
    DR_FILES_PORT="${FILES[$s]}" PEER_FILES_PORT="${FILES[$peer]}" >"$WORK/install-$s.log" 2>&1 || {
    cat "$WORK/install-$s.log" >&2
    fail "make install ROLE=$role failed on site $s"
  }
}

phase "make install ROLE=primary on site A"
install_site a primary b
expect_in "$WORK/install-a.log" 'Parley is installed and running' "site A did not come up as the primary"

phase "copy A's secrets and certificates to B (IT does it out of band), make install ROLE=standby"
install -d -m 0700 "$WORK/b/config"
cp -a "$WORK/a/config/secrets" "$WORK/a/config/tls" "$WORK/a/config/public-keys" "$WORK/b/config/"
install -d "$WORK/b/config/dr" && cp -a "$WORK/a/config/dr/ca.crt" "$WORK/b/config/dr/"
rm -f "$WORK/b/config/secrets/initial_admin_password" "$WORK/b/config/secrets/dr_db.key"
install_site b standby a
expect_in "$WORK/install-b.log" 'seeding it from a fresh copy' "the standby was not seeded from the primary"
expect_in "$WORK/install-b.log" 'installed as the standby of' "site B did not come up as the standby"
cmp -s "$WORK/a/config/secrets/files_master_key" "$WORK/b/config/secrets/files_master_key" ||
  fail "the standby made its own files master key"

phase "B replicates over TLS with semi-sync and serves no chats; a conversation on A"
site b appliance-dr-status >"$WORK/status-b.log" 2>&1 || {
  cat "$WORK/status-b.log" >&2
  fail "make dr-status failed on B"
}
expect_in "$WORK/status-b.log" 'role +standby' "B is not a standby"
expect_in "$WORK/status-b.log" 'over TLS: IO running, SQL running' "B does not replicate over TLS"
expect_in "$WORK/status-b.log" 'semi-sync +on' "semi-sync is not on"
curl -sk "https://127.0.0.1:${HTTPS[b]}/readyz" | grep -q '"role":"standby"' || fail "B's /readyz does not say standby"
# The published database port takes TLS only, whoever logs in (here the app's own account): the same
# login is refused without TLS and accepted with it (MariaDB says only "Access denied" to the first).
db_login=(mariadb --no-defaults -h "$bridge" -P "${DB[a]}" -u parley -p"$(cat "$WORK/a/config/secrets/db_password")" -N -e 'SELECT 1')
"${db_login[@]}" --skip-ssl >"$WORK/plain.log" 2>&1 && fail "A's published database port accepted a login without TLS"
"${db_login[@]}" --ssl-ca="$WORK/a/config/dr/ca.crt" --ssl-verify-server-cert >"$WORK/tls.log" 2>&1 || {
  cat "$WORK/tls.log" >&2
  fail "A's published database port refused the same login over TLS"
}
host_test a converse || fail "the conversation on A failed"
for i in 1 2 3; do host_test a send --body "Acknowledged on A, number $i." || fail "A did not acknowledge message $i"; done
host_test a upload || fail "the visitor's file upload on A failed"
# Backups go on on the primary, over the database's TLS like every other client there.
site a appliance-backup >"$WORK/backup-a.log" 2>&1 || {
  cat "$WORK/backup-a.log" >&2
  fail "make backup failed on the primary of the pair"
}
expect_in "$WORK/backup-a.log" '^backup written: ' "make backup on A wrote no backup"
# Every message of the chat so far: the conversation's, the three the visitor sent, and the file.
sent=$(("$("$ROOT/node_modules/.bin/node" -p "JSON.parse(require('fs').readFileSync('$WORK/conversation.json','utf8')).bodies.length")" + 4))
for _ in $(seq 1 30); do
  site a appliance-dr-status >"$WORK/status-a.log" 2>&1 || true
  grep -q 'every file shipped' "$WORK/status-a.log" && break
  sleep 1
done
expect_in "$WORK/status-a.log" 'every file shipped' "A's worker did not ship the file to B's receiver within 30 s"

phase "site A lost: its app and database killed (SIGKILL); make failover on B"
for service in app db; do
  "$DOCKER" update --restart=no "$(container a "$service")" >/dev/null
  "$DOCKER" kill --signal KILL "$(container a "$service")" >/dev/null
done
if site b appliance-failover >"$WORK/failover-refused.log" 2>&1; then
  cat "$WORK/failover-refused.log" >&2
  fail "make failover promoted B although A could not be fenced, without FORCE=1"
fi
expect_in "$WORK/failover-refused.log" 'FORCE=1' "the refusal does not say how to proceed"
from=$(date +%s%N)
site b appliance-failover FORCE=1 >"$WORK/failover.log" 2>&1 || {
  cat "$WORK/failover.log" >&2
  fail "make failover FORCE=1 failed"
}
expect_in "$WORK/failover.log" 'serves chats' "the promoted site's app does not serve"
host_test b send --body "Accepted by B after the failover." || fail "B does not accept messages after the failover"
rto_ms=$((($(date +%s%N) - from) / 1000000))
host_test b messages --count $((sent + 1)) || fail "B lacks a message A acknowledged (RPO is not 0)"
host_test b download || fail "the file shared on A does not download from B"
grep -E 'Recovery point|lose' "$WORK/failover.log" | head -n 3
echo "$TEST: RTO ${rto_ms} ms from make failover FORCE=1 to the first message B accepted; RPO 0 of $sent acknowledged messages"

phase "A comes back read-only; make rejoin makes it B's standby"
site a up >"$WORK/up-a.log" 2>&1 || true # its app reports standby: A is read-only
"$DOCKER" exec "$(container a db)" mariadb -N -B -e 'SELECT @@read_only' | grep -qx 1 ||
  fail "A's database came back writable"
site a appliance-rejoin >"$WORK/rejoin.log" 2>&1 || {
  cat "$WORK/rejoin.log" >&2
  fail "make rejoin on A failed"
}
expect_in "$WORK/rejoin.log" 'No divergence|now the standby' "A did not rejoin from its own position"
host_test b send --body "Written on B after A rejoined." || fail "B stopped accepting messages"
site a appliance-dr-status >"$WORK/status-a.log" 2>&1 || true
expect_in "$WORK/status-a.log" 'role +standby' "A is not B's standby after make rejoin"
expect_in "$WORK/status-a.log" 'would lose nothing' "A is behind B after make rejoin"
phase ""
echo "$TEST: passed in $((SECONDS - started)) s"
