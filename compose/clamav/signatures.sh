#!/bin/bash
# Describes the signature files in the clamav-db volume: one line per file, official databases with
# their version and build date, and the age of the newest official database on the last line.
#   signatures.sh [DIR]   exit status 1 when DIR holds no signature files at all
set -euo pipefail
DIR="${1:-/var/lib/clamav}"
now="$(date +%s)"
newest=0
found=0
shopt -s nullglob
for file in "$DIR"/*.cvd "$DIR"/*.cld; do
  found=1
  # Header: ClamAV-VDB:<build time>:<version>:<signatures>:<level>:<md5>:<dsig>:<builder>:<unix time>
  # (The header has no newline, so read reports end of file after filling the fields.)
  IFS=: read -r magic _ version sigs _ _ _ _ stime < <(head -c 512 "$file" | tr -d '\0' | tr -s ' ') || true
  if [[ "$magic" != ClamAV-VDB || ! "$stime" =~ ^[0-9]+ ]]; then
    echo "$(basename "$file"): not a ClamAV database (bad header)"
    continue
  fi
  stime="${stime%% *}"
  ((stime > newest)) && newest=$stime
  echo "$(basename "$file"): version $version, $sigs signatures, built $(date -u -d "@$stime" '+%Y-%m-%d %H:%M UTC'), $(((now - stime) / 86400)) days old"
done
for file in "$DIR"/*.{ndb,hdb,hsb,ldb,cdb,ign2,fp,sfp,yar,yara}; do
  found=1
  echo "$(basename "$file"): unofficial signatures, $(grep -c . "$file" || true) lines, loaded $(date -u -r "$file" '+%Y-%m-%d %H:%M UTC')"
done
((found)) || exit 1
if ((newest > 0)); then
  echo "signature age: $(((now - newest) / 86400)) days (newest official database)"
else
  echo "signature age: unknown (no official .cvd/.cld database; unofficial signatures only)"
fi
