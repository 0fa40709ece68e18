#!/usr/bin/env bash
# Sourced by the appliance tests (appliance-test.sh, dr-test.sh): their phases, Debian's Docker and
# the host tools they use (installed when missing, dockerd started when it is not running), and the
# removal of a test's Compose project. TEST names the test in what they print; STATE and DOCKER are
# set by the sourcing script.

started=$SECONDS
phase_started=$SECONDS
phase_name=""
phase() { # phase NAME: ends the previous phase (printing its time) and starts the next
  [[ -z "$phase_name" ]] || echo "$TEST: ok, $phase_name ($((SECONDS - phase_started)) s)"
  phase_name="$*"
  phase_started=$SECONDS
  [[ -z "$phase_name" ]] || echo "$TEST: == $phase_name"
}
fail() {
  echo "$TEST: FAILED: $*" >&2
  exit 1
}

remove_project() { # remove_project NAME: its containers, volumes and networks, whatever their state
  local label="label=com.docker.compose.project=$1" ids
  mapfile -t ids < <("$DOCKER" ps -aq --filter "$label")
  ((${#ids[@]} == 0)) || "$DOCKER" rm -f "${ids[@]}" >/dev/null
  mapfile -t ids < <("$DOCKER" volume ls -q --filter "$label")
  ((${#ids[@]} == 0)) || "$DOCKER" volume rm -f "${ids[@]}" >/dev/null
  mapfile -t ids < <("$DOCKER" network ls -q --filter "$label")
  ((${#ids[@]} == 0)) || "$DOCKER" network rm "${ids[@]}" >/dev/null
}

ensure_docker() {
  local missing=() pkg
  for pkg in docker.io docker-compose debootstrap clamav-testfiles gnupg openssh-server; do
    [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null)" == ii* ]] || missing+=("$pkg")
  done
  if ((${#missing[@]} > 0)); then
    echo "$TEST: installing ${missing[*]}"
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
  fi
  mkdir -p "$STATE/logs"
  "$DOCKER" info >/dev/null 2>&1 && return 0
  echo "$TEST: starting dockerd (log: $STATE/logs/dockerd.log)"
  setsid nohup /usr/sbin/dockerd >>"$STATE/logs/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    "$DOCKER" info >/dev/null 2>&1 && return 0
    sleep 1
  done
  tail -n 20 "$STATE/logs/dockerd.log" >&2
  fail "dockerd did not start"
}
