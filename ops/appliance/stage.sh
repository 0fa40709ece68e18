#!/usr/bin/env bash
# Assembles the app image's build context on the build host (no network is needed inside the build):
#   STAGE/context/node     the Node 24 binary npm installed from the lockfile (`npm ci` in the checkout)
#   STAGE/context/parley/  server sources, production node_modules (`npm ci --omit=dev`), the built UI
# The production node_modules are installed again only when package.json or package-lock.json change.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STAGE="${PARLEY_STAGE_DIR:-$ROOT/.parley/appliance/stage}"
NODE_BIN="$ROOT/node_modules/node/bin/node"

die() {
  echo "stage: $*" >&2
  exit 1
}

cd "$ROOT"
[[ -f package-lock.json ]] || die "package-lock.json missing: stage from a Parley checkout"
[[ -x "$NODE_BIN" ]] || die "$NODE_BIN missing: run \`make deps\` (npm ci installs Node 24)"
[[ "$("$NODE_BIN" --version)" == v24.* ]] || die "$NODE_BIN is not Node 24"
command -v npm >/dev/null 2>&1 || die "npm not found on PATH"
mkdir -p "$STAGE"

# Production dependencies, from the lockfile, through npm's configured registry.
lock_hash="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
deps="$STAGE/deps"
if [[ "$(cat "$deps/.lock-hash" 2>/dev/null)" != "$lock_hash" ]]; then
  echo "stage: npm ci --omit=dev"
  rm -rf "$deps"
  mkdir -p "$deps"
  cp package.json package-lock.json "$deps/"
  (cd "$deps" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >"$STAGE/npm-ci.log" 2>&1) || {
    tail -n 20 "$STAGE/npm-ci.log" >&2
    die "npm ci --omit=dev failed (log: $STAGE/npm-ci.log)"
  }
  echo "$lock_hash" >"$deps/.lock-hash"
fi

# The console and widget, built from this checkout.
if [[ "${PARLEY_SKIP_UI_BUILD:-0}" != 1 ]]; then
  npm run --silent build:ui >"$STAGE/build-ui.log" 2>&1 || {
    tail -n 20 "$STAGE/build-ui.log" >&2
    die "npm run build:ui failed (log: $STAGE/build-ui.log)"
  }
fi
[[ -f ui/dist/widget/widget.js && -f ui/dist/console/index.html ]] || die "ui/dist is incomplete"

# The context, rebuilt each time (hard links keep it fast); files keep their timestamps so Docker's
# layer cache is reused when nothing changed.
context="$STAGE/context"
rm -rf "$context"
mkdir -p "$context/parley/ops/appliance" "$context/parley/ops/dr" "$context/parley/ui" "$context/parley/config"
cp -p "$NODE_BIN" "$context/node"
cp -a package.json app backup "$context/parley/"
# Only the configuration code: never a site's settings, secrets or certificates.
cp -p config/*.ts config/example.env "$context/parley/config/"
cp -p ops/*.ts "$context/parley/ops/"
cp -p ops/dr/*.ts "$context/parley/ops/dr/" # make dr-status etc. (issue 15)
cp -p ops/appliance/healthcheck.ts ops/appliance/backupKey.ts "$context/parley/ops/appliance/"
cp -a ui/dist "$context/parley/ui/dist"
cp -al "$deps/node_modules" "$context/parley/node_modules"
find "$context/parley" -name '*.test.ts' -delete
chmod -R u=rwX,go=rX "$context"
echo "stage: $context ($(du -sh "$context" | cut -f1))"
