#!/usr/bin/env bash
# Creates a local development CA and a server certificate for localhost under
# .parley/tls/ unless they already exist (and are not about to expire).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TLS="$ROOT/.parley/tls"
CA_CRT="$TLS/ca.crt"
CA_KEY="$TLS/ca.key"
SRV_CRT="$TLS/server.crt"
SRV_KEY="$TLS/server.key"
RENEW_BEFORE=$((30 * 24 * 3600)) # regenerate when less than 30 days remain

die() {
  echo "tls: $*" >&2
  exit 1
}

valid() { # valid CERT : exists and does not expire within RENEW_BEFORE
  [[ -s "$1" ]] && openssl x509 -in "$1" -noout -checkend "$RENEW_BEFORE" >/dev/null 2>&1
}

ca_ok=0
if [[ -s "$CA_KEY" ]] && valid "$CA_CRT"; then ca_ok=1; fi
if ((ca_ok)) && [[ -s "$SRV_KEY" ]] && valid "$SRV_CRT"; then
  exit 0
fi

command -v openssl >/dev/null 2>&1 || die "openssl not found (run ops/dev/install-deps.sh)"
mkdir -p "$TLS"
work="$(mktemp -d "$TLS/.tmp.XXXXXX")"
trap 'rm -rf "$work"' EXIT
umask 077

run() { # run openssl quietly; show its output only on failure
  if ! out="$("$@" 2>&1)"; then
    echo "$out" | tail -n 5 >&2
    die "openssl failed: $*"
  fi
}

cat >"$work/ext.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
CNF

created_ca=0
if ((!ca_ok)); then
  run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca.key"
  run openssl req -x509 -new -key "$work/ca.key" -sha256 -days 825 \
    -subj "/O=Parley development/CN=Parley local development CA" \
    -set_serial "0x$(openssl rand -hex 16)" \
    -config "$work/ext.cnf" -extensions ca -out "$work/ca.crt"
  chmod 600 "$work/ca.key"
  chmod 644 "$work/ca.crt"
  mv -f "$work/ca.key" "$CA_KEY"
  mv -f "$work/ca.crt" "$CA_CRT"
  created_ca=1
fi

run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/server.key"
run openssl req -new -key "$work/server.key" -subj "/O=Parley development/CN=localhost" \
  -config "$work/ext.cnf" -out "$work/server.csr"
run openssl x509 -req -in "$work/server.csr" -CA "$CA_CRT" -CAkey "$CA_KEY" -sha256 -days 398 \
  -set_serial "0x$(openssl rand -hex 16)" \
  -extfile "$work/ext.cnf" -extensions server -out "$work/server.crt"
run openssl verify -CAfile "$CA_CRT" "$work/server.crt"
chmod 600 "$work/server.key"
chmod 644 "$work/server.crt"
mv -f "$work/server.key" "$SRV_KEY"
mv -f "$work/server.crt" "$SRV_CRT"

if ((created_ca)); then
  echo "tls: created local CA $CA_CRT (trust it in your browser to avoid warnings)"
fi
