#!/bin/bash
# clamd (default) or freshclam (the optional `freshclam` profile), both as the clamav user.
# clamd never starts on an empty signature volume: it stops with what to do instead.
set -euo pipefail
DB=/var/lib/clamav

case "${1:-clamd}" in
  clamd)
    if ! summary="$(signatures.sh "$DB")"; then
      cat >&2 <<'MSG'
parley-clamav: ERROR: no virus signatures in the clamav-db volume, so clamd cannot start.
  Air-gapped site: copy main.cvd, daily.cvd and bytecode.cvd (from a machine with internet,
                   e.g. with `freshclam` or the ClamAV website) to this server, then run
                     make clamav-update SIGS=/path/to/that/folder
  Online site:     set COMPOSE_PROFILES=freshclam in config/appliance.env, then run  make up
MSG
      exit 78
    fi
    while IFS= read -r line; do echo "parley-clamav: $line"; done <<<"$summary"
    exec clamd --config-file=/etc/clamav/clamd.conf
    ;;
  freshclam)
    shift
    # Debian's packaged freshclam.conf (mirrors included), with logs to stdout and clamd notified over TCP.
    sed -e '/^UpdateLogFile/d' -e '/^NotifyClamd/d' -e '/^Foreground/d' -e '/^PidFile/d' \
      /etc/clamav/freshclam.conf >/tmp/freshclam.conf
    printf 'Foreground true\nNotifyClamd /tmp/clamd-notify.conf\n' >>/tmp/freshclam.conf
    printf 'TCPSocket 3310\nTCPAddr %s\n' "${PARLEY_CLAMD_HOST:-clamav}" >/tmp/clamd-notify.conf
    exec freshclam --config-file=/tmp/freshclam.conf "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
