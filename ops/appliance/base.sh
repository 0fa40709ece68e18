#!/usr/bin/env bash
# Builds the one Debian 12 base every Parley image starts FROM, for hosts that cannot reach an image
# registry: debootstrap from the Debian mirror this machine's apt already uses, then `docker import`.
# In production the base is a digest-pinned debian:bookworm-slim instead (PARLEY_BASE_IMAGE).
#   ops/appliance/base.sh            build only when the image does not exist yet
#   ops/appliance/base.sh --rebuild  build again (picks up Debian's latest security updates)
set -euo pipefail

IMAGE="${PARLEY_BASE_IMAGE:-parley/base:bookworm}"
DOCKER="${DOCKER:-/usr/bin/docker}"
SUITE=bookworm

die() {
  echo "base: $*" >&2
  exit 1
}

rebuild=0
[[ "${1:-}" == --rebuild ]] && rebuild=1
if ((!rebuild)) && "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
  exit 0
fi
[[ $EUID -eq 0 ]] || die "debootstrap needs root; run as root (or load a bundle with make load)"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (apt-get install debootstrap)"

# The mirror comes from this machine's apt configuration, read now; it is never written in the repository.
mirror_from_deb822() { # first URI of a stanza in FILE whose Suites list the bookworm suite
  awk -v suite="$SUITE" '
    /^[[:space:]]*$/ { if (uri != "" && has) { print uri; exit } uri = ""; has = 0; next }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) has = 1 }
    END { if (uri != "" && has) print uri }
  ' "$1" | head -n 1
}
sources=""
mirror=""
for file in /etc/apt/sources.list.d/*.sources; do
  [[ -r "$file" ]] || continue
  mirror="$(mirror_from_deb822 "$file")"
  if [[ -n "$mirror" ]]; then
    sources="$file"
    break
  fi
done
if [[ -z "$mirror" && -r /etc/apt/sources.list ]]; then
  mirror="$(awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }' /etc/apt/sources.list)"
fi
[[ -n "$mirror" ]] || die "no Debian $SUITE mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"

work="$(mktemp -d /var/tmp/parley-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
log="$work/debootstrap.log"

echo "base: debootstrap $SUITE (minbase) from this machine's Debian mirror"
started=$SECONDS
if ! debootstrap --variant=minbase --components=main "$SUITE" "$rootfs" "$mirror" >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  die "debootstrap failed"
fi

# The image's own package sources: the same as this machine's (release, updates and security).
rm -f "$rootfs/etc/apt/sources.list"
if [[ -n "$sources" ]]; then
  install -m 0644 "$sources" "$rootfs/etc/apt/sources.list.d/debian.sources"
else
  grep -E "^deb[[:space:]].*[[:space:]]$SUITE(-updates|-security|/updates)?[[:space:]]" /etc/apt/sources.list \
    >"$rootfs/etc/apt/sources.list" || true
fi

# Like debian:bookworm-slim: no documentation, manuals or translations; no recommended packages;
# no package caches left in image layers.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/parley-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
cat >"$rootfs/etc/apt/apt.conf.d/parley-slim" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
CFG
find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/usr/share/locale/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
  "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/var/tmp/* \
  "$rootfs/debootstrap"
# Docker provides these at run time; the build machine's copies must not end up in the image.
rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname" "$rootfs/etc/hosts"
: >"$rootfs/etc/machine-id"

created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
tar --numeric-owner -C "$rootfs" -c . | "$DOCKER" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["bash"]' \
  --change "LABEL org.opencontainers.image.created=$created" \
  --change "LABEL org.opencontainers.image.description=Debian-12-minbase-made-with-debootstrap" \
  - "$IMAGE" >/dev/null
echo "base: $IMAGE built in $((SECONDS - started)) s"
