#!/usr/bin/env bash
# `make load`: loads Parley's images from a bundle, on a host with no registry.
#   make load                       inside an unpacked bundle (images/parley-images.tar)
#   make load BUNDLE=parley-x.tar.gz  from the archive itself, e.g. in an older install's folder
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bundle="${1:-}"
"$DOCKER" info >/dev/null 2>&1 || die "Docker is not running (systemctl start docker)"
if [[ -n "$bundle" ]]; then
  [[ -f "$bundle" ]] || die "BUNDLE=$bundle: no such file"
  work="$(mktemp -d /var/tmp/parley-load.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
  tar -C "$work" -xzf "$bundle" --wildcards '*/images/*' || die "$bundle is not a Parley bundle"
  images_dir="$(dirname "$(find "$work" -name parley-images.tar | head -n 1)")"
else
  images_dir="$ROOT/images"
fi
[[ -f "$images_dir/parley-images.tar" ]] || die "no images/parley-images.tar here: give BUNDLE=<parley-x.tar.gz>"
(cd "$images_dir" && sha256sum --quiet -c SHA256SUMS) || die "the images archive is damaged (checksum mismatch)"
"$DOCKER" load -i "$images_dir/parley-images.tar" | sed 's/^/parley: /'
