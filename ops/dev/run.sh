#!/usr/bin/env bash
# `make dev`: everything Parley needs on a fresh Debian 12 machine, then the app, the worker and a
# demo customer page, in the foreground. Ctrl-C stops them; `make stop` also stops MariaDB, clamd and Redis.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
STATE="$ROOT/.parley"

bash ops/dev/install-deps.sh
bash ops/dev/secrets.sh
bash ops/dev/tls.sh
bash ops/dev/env.sh
bash ops/dev/services.sh start
npm run --silent build:ui >"$STATE/logs/build-ui.log" 2>&1 || { tail -20 "$STATE/logs/build-ui.log"; exit 1; }

NODE=("$ROOT/node_modules/.bin/node" --env-file="$STATE/parley.env")
"${NODE[@]}" ops/migrate.ts
ADMIN_FILE="$STATE/secrets/admin_password"
if [[ ! -s "$ADMIN_FILE" ]]; then
  "${NODE[@]}" ops/admin.ts --email admin@parley.local --if-none --password-file "$ADMIN_FILE" >/dev/null
fi

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "parley: stopped (MariaDB, clamd and Redis still run; \`make stop\` stops them)"
}
trap stop INT TERM EXIT

"${NODE[@]}" app/main.ts >>"$STATE/logs/app.log" 2>&1 &
pids+=($!)
"${NODE[@]}" backup/worker/worker.ts >>"$STATE/logs/worker.log" 2>&1 &
pids+=($!)
"${NODE[@]}" ops/dev/demoSite.ts --port 8444 >>"$STATE/logs/demo.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  if curl -fsS --cacert "$STATE/tls/ca.crt" https://localhost:8443/readyz >/dev/null 2>&1; then break; fi
  if ! kill -0 "${pids[0]}" 2>/dev/null; then echo "parley: the app stopped; last lines of $STATE/logs/app.log:"; tail -20 "$STATE/logs/app.log"; exit 1; fi
  sleep 0.2
done

cat <<BANNER

Parley is running.
  Agent console:  https://localhost:8443/
  Demo site:      https://127.0.0.1:8444/   (a customer page on another origin, with the widget)
  Sign in as:     admin@parley.local
  Password:       $(cat "$ADMIN_FILE")
  TLS:            the certificate is signed by a local CA; trust $STATE/tls/ca.crt or accept the warning.
  Logs:           $STATE/logs/{app,worker,demo}.log
Press Ctrl-C to stop.
BANNER
wait -n "${pids[@]}"
