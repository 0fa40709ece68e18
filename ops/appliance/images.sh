#!/usr/bin/env bash
# Builds Parley's images (app, db, clamav) FROM one Debian 12 base chosen by PARLEY_BASE_IMAGE:
# the debootstrap-made parley/base:bookworm (built here when missing), or in production a digest-pinned
# debian:bookworm-slim. Docker's layer cache is reused; a new base invalidates every layer above it.
#   ops/appliance/images.sh [--rebuild]   (--rebuild: a new debootstrap base, i.e. Debian's latest updates)
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BASE_IMAGE="${PARLEY_BASE_IMAGE:-$(env_value PARLEY_BASE_IMAGE)}"
BASE_IMAGE="${BASE_IMAGE:-parley/base:bookworm}"
export PARLEY_BASE_IMAGE="$BASE_IMAGE"
LOGS="$STATE_DIR/logs"
mkdir -p "$LOGS"

[[ -f "$ROOT/compose/app/Dockerfile" ]] || die "the Dockerfiles are missing: build from a Parley checkout (or run make load)"
if [[ "$BASE_IMAGE" == parley/base:* ]]; then
  bash "$ROOT/ops/appliance/base.sh" ${1:+"$1"}
elif ! "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  "$DOCKER" pull "$BASE_IMAGE" >/dev/null || die "cannot get the base image $BASE_IMAGE"
fi
bash "$ROOT/ops/appliance/stage.sh"

base_id="$("$DOCKER" image inspect -f '{{.Id}}' "$BASE_IMAGE")"
base_created="$("$DOCKER" image inspect -f '{{index .Config.Labels "org.opencontainers.image.created"}}' "$BASE_IMAGE" 2>/dev/null || true)"
[[ "$base_created" == "<no value>" || -z "$base_created" ]] &&
  base_created="$("$DOCKER" image inspect -f '{{.Created}}' "$BASE_IMAGE")"

build() { # build NAME CONTEXT
  local name="$1" context="$2"
  DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain \
    --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg PARLEY_VERSION="$PARLEY_VERSION" \
    --label org.opencontainers.image.base.name="$BASE_IMAGE" \
    --label org.opencontainers.image.base.digest="$base_id" \
    --label parley.base.created="$base_created" \
    -f "$ROOT/compose/$name/Dockerfile" -t "$(image_name "$name")" "$context" \
    >"$LOGS/build-$name.log" 2>&1
}

started=$SECONDS
pids=()
for name in "${IMAGES[@]}"; do
  context="$ROOT/compose/$name"
  [[ "$name" == app ]] && context="${PARLEY_STAGE_DIR:-$STATE_DIR/stage}/context"
  build "$name" "$context" &
  pids+=($!)
done
failed=()
for i in "${!IMAGES[@]}"; do
  wait "${pids[$i]}" || failed+=("${IMAGES[$i]}")
done
for name in "${failed[@]}"; do
  echo "----- build of $(image_name "$name") failed; last lines of $LOGS/build-$name.log -----" >&2
  tail -n 30 "$LOGS/build-$name.log" >&2
done
((${#failed[@]} == 0)) || die "image build failed: ${failed[*]}"
for name in "${IMAGES[@]}"; do
  say "built $(image_name "$name") ($("$DOCKER" image inspect -f '{{.Size}}' "$(image_name "$name")" | awk '{printf "%d MB", $1 / 1e6}'))"
done
# The images a rebuild replaced (untagged now, and used by no container), and a replaced local base.
"$DOCKER" image prune -f --filter "label=org.opencontainers.image.title" >/dev/null 2>&1 || true
"$DOCKER" image prune -f --filter "label=org.opencontainers.image.description=Debian-12-minbase-made-with-debootstrap" \
  >/dev/null 2>&1 || true
# Keep the layer cache (fast rebuilds) from growing without bound.
"$DOCKER" builder prune -f --keep-storage 3GB >/dev/null 2>&1 || true
say "images built in $((SECONDS - started)) s on $BASE_IMAGE"
