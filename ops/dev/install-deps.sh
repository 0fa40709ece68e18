#!/usr/bin/env bash
# Installs Parley's development dependencies (Debian packages, npm modules).
# Idempotent and quiet: does nothing (fast) when everything is already installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$ROOT/.parley"
LOGDIR="$STATE/logs"
LOG="$LOGDIR/install-deps.log"

# prometheus: only for promtool, which checks the alert rules (test/metrics/alerts.test.ts).
PACKAGES=(mariadb-server mariadb-client clamav-daemon clamdscan clamav-testfiles redis-server openssl curl chromium gnupg openssh-server jq prometheus)

die() {
  echo "install-deps: $*" >&2
  exit 1
}

fail_with_log() { # fail_with_log MESSAGE [PATTERN]: show matching (or last) log lines
  echo "install-deps: $1 (see $LOG)" >&2
  if [[ -n "${2:-}" ]] && grep -q -- "$2" "$LOG"; then
    grep -m 8 -- "$2" "$LOG" >&2 || true
  else
    tail -n 20 "$LOG" >&2 || true
  fi
  exit 1
}

log_started=0
start_log() { # truncate the log once per run, only when there is work to do
  if ((!log_started)); then
    : >"$LOG"
    log_started=1
  fi
}

mkdir -p "$LOGDIR"

# --- Debian packages -------------------------------------------------------
missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == ii* ]] || missing+=("$pkg")
done

if ((${#missing[@]} > 0)); then
  [[ $EUID -eq 0 ]] || die "must run as root to install: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep package maintainer scripts from starting system services (we run our
  # own private MariaDB, clamd and Redis); only when no policy is already in place.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT # removed again however apt-get ends
  fi
  start_log
  apt-get -o DPkg::Lock::Timeout=600 update >>"$LOG" 2>&1 ||
    fail_with_log "apt-get update failed" '^E:'
  apt-get -o DPkg::Lock::Timeout=600 install -y "${missing[@]}" >>"$LOG" 2>&1 ||
    fail_with_log "apt-get install ${missing[*]} failed" '^E:'
fi

# freshclam cannot reach its mirror here: keep the system updater stopped.
if pidof freshclam >/dev/null 2>&1; then
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now clamav-freshclam >/dev/null 2>&1 || true
  else
    if [[ -x /etc/init.d/clamav-freshclam ]]; then
      /etc/init.d/clamav-freshclam stop >/dev/null 2>&1 || true
    fi
    update-rc.d clamav-freshclam disable >/dev/null 2>&1 || true
  fi
  if pids="$(pidof freshclam)"; then
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null || true
  fi
fi

# --- npm modules -----------------------------------------------------------
cd "$ROOT"
if [[ -f package-lock.json ]]; then
  marker="node_modules/.package-lock.json" # written by npm after every install
  if [[ ! -d node_modules || ! -f "$marker" || package-lock.json -nt "$marker" ]]; then
    command -v npm >/dev/null 2>&1 || die "npm not found on PATH"
    start_log
    npm ci --no-audit --no-fund --loglevel=error >>"$LOG" 2>&1 ||
      fail_with_log "npm ci failed" '^npm error'
  fi
fi
