#!/usr/bin/env bash
# `make bundle`: one archive to install Parley on a host with no registry and no internet:
#   parley-<version>/images/parley-images.tar   every image (docker save), with SHA256SUMS
#   parley-<version>/docker-compose.yml, compose/ (with offsite/), ops/appliance/*.sh, config/ templates,
#   Makefile
# On the target: tar -xzf parley-<version>.tar.gz && cd parley-<version> && make load install
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out="${BUNDLE_DIR:-$ROOT/dist}"
name="parley-$PARLEY_VERSION"
for image in "${IMAGES[@]}"; do
  "$DOCKER" image inspect "$(image_name "$image")" >/dev/null 2>&1 || {
    bash "$ROOT/ops/appliance/images.sh"
    break
  }
done

work="$(mktemp -d /var/tmp/parley-bundle.XXXXXX)"
trap 'rm -rf "$work"' EXIT
dir="$work/$name"
mkdir -p "$dir/compose/offsite" "$dir/compose/prometheus" "$dir/ops/appliance" "$dir/config/tls" "$dir/images"
cp "$ROOT/docker-compose.yml" "$dir/"
cp "$ROOT/compose/appliance.mk" "$ROOT/compose/appliance.env.template" "$ROOT/compose/README-install.md" "$dir/compose/"
cp "$ROOT"/compose/offsite/*.yml "$dir/compose/offsite/"
cp "$ROOT/compose/dr.yml" "$dir/compose/" # a site of a DR pair (issue 15)
cp "$ROOT/compose/prometheus/parley-alerts.yml" "$dir/compose/prometheus/" # for the site's Prometheus
cp "$ROOT/compose/bundle.Makefile" "$dir/Makefile"
# Host scripts only (bash): the target server has no Node.
cp "$ROOT"/ops/appliance/*.sh "$dir/ops/appliance/"
rm -f "$dir/ops/appliance/stage.sh" \
  "$dir/ops/appliance/base.sh" "$dir/ops/appliance/images.sh" "$dir/ops/appliance/bundle.sh"
cp "$ROOT/config/example.env" "$dir/config/"
cp "$ROOT/config/tls/README.md" "$ROOT/config/tls/.gitignore" "$dir/config/tls/"
echo "$PARLEY_VERSION" >"$dir/VERSION"

say "saving the images (docker save)"
images=()
for image in "${IMAGES[@]}"; do images+=("$(image_name "$image")"); done
"$DOCKER" save -o "$dir/images/parley-images.tar" "${images[@]}"
(cd "$dir/images" && sha256sum parley-images.tar >SHA256SUMS)

mkdir -p "$out"
tar -C "$work" -c "$name" | gzip -1 >"$out/$name.tar.gz.tmp"
mv "$out/$name.tar.gz.tmp" "$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
say "wrote $out/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1)); checksum in $name.tar.gz.sha256"
say "on the server: tar -xzf $name.tar.gz && cd $name && make load install PUBLIC_URL=https://<host>"
