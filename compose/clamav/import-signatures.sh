#!/bin/bash
# `make clamav-update SIGS=<dir>`: copies the signature databases a site carried in into the clamav-db
# volume. Official .cvd/.cld files must have a ClamAV header and never replace a newer version already
# loaded; unofficial text databases (.ndb, .hdb, ...) are taken as they are. The whole new set must load
# in clamscan before anything in the volume changes.
#   import-signatures.sh SOURCE_DIR
set -euo pipefail
SRC="${1:?usage: import-signatures.sh SOURCE_DIR}"
DB=/var/lib/clamav

die() {
  echo "clamav-update: $*" >&2
  exit 1
}

version_of() { # version_of FILE: the version field of a .cvd/.cld header, empty when not one
  local magic version
  IFS=: read -r magic _ version _ < <(head -c 512 "$1" | tr -d '\0') || true
  if [[ "$magic" == ClamAV-VDB && "$version" =~ ^[0-9]+$ ]]; then echo "$version"; fi
}

[[ -d "$SRC" ]] || die "$SRC is not a directory"
shopt -s nullglob
# Check every official database before changing anything.
for file in "$SRC"/*.cvd "$SRC"/*.cld; do
  [[ -n "$(version_of "$file")" ]] ||
    die "$(basename "$file") is not a ClamAV database (no ClamAV-VDB header); nothing was changed"
done
# Stage the new set beside the loaded one (same volume, so moving it in is a rename), prove that it
# loads with clamscan, and only then put it in place: a damaged file never replaces working signatures.
STAGE="$DB/.incoming"
rm -rf "$STAGE"
mkdir "$STAGE"
trap 'rm -rf "$STAGE"' EXIT
staged=()
found=0
for file in "$SRC"/*.cvd "$SRC"/*.cld; do
  found=1
  name="$(basename "$file")"
  base="${name%.*}"
  new="$(version_of "$file")"
  for existing in "$DB/$base.cvd" "$DB/$base.cld"; do
    [[ -f "$existing" ]] || continue
    old="$(version_of "$existing")"
    if [[ -n "$old" ]] && ((old > new)); then
      echo "clamav-update: $name: version $new is older than the loaded $(basename "$existing") ($old); skipped"
      continue 2
    fi
  done
  cp "$file" "$STAGE/$name"
  staged+=("$name")
done
for file in "$SRC"/*.{ndb,hdb,hsb,ldb,cdb,ign2,fp,sfp,yar,yara}; do
  found=1
  cp "$file" "$STAGE/"
  staged+=("$(basename "$file")")
done
((found)) || die "no signature files (.cvd, .cld, .ndb, .hdb, ...) in $SRC"
if ((${#staged[@]} == 0)); then
  echo "clamav-update: nothing newer than what is loaded; nothing was changed"
  exit 0
fi

# The set clamd will load: what is loaded now, minus the databases being replaced, plus the new files.
for existing in "$DB"/*; do
  [[ -f "$existing" ]] || continue
  name="$(basename "$existing")"
  base="${name%.*}"
  case "$name" in *.cvd | *.cld) [[ -e "$STAGE/$base.cvd" || -e "$STAGE/$base.cld" ]] && continue ;; esac
  [[ -e "$STAGE/$name" ]] || ln "$existing" "$STAGE/$name"
done
echo "clamav-update: checking that the signatures load (clamscan; a minute for the full official set)"
: >/tmp/empty
if ! clamscan --no-summary --quiet --database="$STAGE" /tmp/empty >/tmp/clamscan.log 2>&1; then
  grep -m 3 -i -E 'error|can.t' /tmp/clamscan.log >&2 || tail -n 3 /tmp/clamscan.log >&2
  die "these signatures do not load; nothing was changed"
fi

for name in "${staged[@]}"; do
  chmod 0644 "$STAGE/$name"
  mv -f "$STAGE/$name" "$DB/$name"
  base="${name%.*}"
  # clamd must not see two versions of one database.
  case "$name" in
    *.cvd) rm -f "$DB/$base.cld" ;;
    *.cld) rm -f "$DB/$base.cvd" ;;
  esac
  echo "clamav-update: $name loaded"
done
signatures.sh "$DB"
