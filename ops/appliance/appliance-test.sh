#!/usr/bin/env bash
# `make appliance-test` (CI): proves the appliance boots from locally built images. Starts dockerd when
# it is not running, builds the base and the images (reusing the base image and layer cache), runs
# `make install` non-interactively (twice: the second run must change nothing), then from the host over
# the published HTTPS port: readiness, a visitor <-> agent conversation over Socket.IO, `make down` and
# `make up`, and the conversation is still there. Shows the services' logs when anything fails.
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
for pkg in docker.io docker-compose debootstrap clamav-testfiles; do
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
"${MAKE[@]}" status

phase "make down, make up"
"${MAKE[@]}" down >"$WORK/down.log" 2>&1 || {
  cat "$WORK/down.log" >&2
  fail "make down failed"
}
[[ -z "$(compose ps -q)" ]] || fail "make down left containers running"
"${MAKE[@]}" up || fail "make up failed"

phase "the conversation is still there"
"${host_test[@]}" verify || fail "the conversation did not survive make down/up"

phase ""
echo "appliance-test: passed in $((SECONDS - started)) s (then removes its project and volumes)"
