#!/usr/bin/env bash
# Writes the test signatures CI loads with `make clamav-update` (as an air-gapped site loads real ones):
# EICAR (test.ndb) and the clamav-testfiles sample (test.hdb, when the package is installed).
#   test/appliance/test-signatures.sh DIR
set -euo pipefail
dir="${1:?usage: test-signatures.sh DIR}"
# Hex of the 68-byte EICAR anti-virus test string (kept as hex on purpose).
EICAR_HEX=58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e444152442d414e544956495255532d544553542d46494c452124482b482a
TESTFILE=/usr/share/clamav-testfiles/clam.exe

mkdir -p "$dir"
echo "Eicar-Test-Signature:0:*:$EICAR_HEX" >"$dir/test.ndb"
if [[ -r "$TESTFILE" ]]; then
  echo "$(md5sum "$TESTFILE" | cut -d' ' -f1):$(stat -c %s "$TESTFILE"):ClamAV-Test-File" >"$dir/test.hdb"
else
  echo "test-signatures: $TESTFILE missing (apt-get install clamav-testfiles); EICAR only" >&2
fi
chmod 0644 "$dir"/*
