#!/usr/bin/env bash
# `make install`, step 2: the site's secrets and TLS certificate, created only when missing.
#   config/secrets/db_password, secret_key,     random, generated here
#   files_master_key
#   config/secrets/backup_public_key.asc         generated with its private key (moved off the server by
#                                                the admin), unless the site put its own public key there
#   config/tls/server.crt + server.key           the customer's certificate when present; otherwise an
#                                                internal CA (config/tls/ca.crt) signs one for the host
# Secret files are root:10001 mode 0440 in a 0700 directory: Compose mounts them into the containers,
# whose service accounts are in group 10001.
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v openssl >/dev/null 2>&1 || die "openssl is required (apt-get install openssl)"
[[ -f "$ENV_FILE" ]] || die "$ENV_FILE missing (make install writes it first)"

protect() { # protect FILE...: readable by root and Parley's service accounts only
  chgrp "$SECRETS_GID" "$@"
  chmod 0440 "$@"
}

make_secret() { # make_secret FILE COMMAND...: COMMAND's output into FILE unless FILE exists
  local file="$1" tmp
  shift
  [[ -s "$file" ]] && return 0
  tmp="$(mktemp "$file.XXXXXX")"
  if ! "$@" >"$tmp" 2>/dev/null || [[ ! -s "$tmp" ]]; then
    rm -f "$tmp"
    die "could not generate $file"
  fi
  protect "$tmp"
  mv -n "$tmp" "$file"
  rm -f "$tmp"
  say "generated $file"
}

install -d -m 0700 "$SECRETS_DIR"
install -d -m 0755 "$TLS_DIR"
# Nothing in these folders belongs in version control.
[[ -f "$SECRETS_DIR/.gitignore" ]] || printf '*\n' >"$SECRETS_DIR/.gitignore"
make_secret "$SECRETS_DIR/db_password" openssl rand -hex 32
make_secret "$SECRETS_DIR/secret_key" openssl rand -base64 48
# Wraps each uploaded file's own key (AES-256-GCM at rest); exactly 32 random bytes.
make_secret "$SECRETS_DIR/files_master_key" openssl rand 32
protect "$SECRETS_DIR/db_password" "$SECRETS_DIR/secret_key" "$SECRETS_DIR/files_master_key"

# --- TLS --------------------------------------------------------------------------------------------
crt="$TLS_DIR/server.crt"
key="$TLS_DIR/server.key"
public_url="$(env_value PARLEY_PUBLIC_URL)"
host="${public_url#https://}"
host="${host%%[:/]*}"
[[ -n "$host" ]] || die "PARLEY_PUBLIC_URL in $ENV_FILE must be an https:// URL"

if [[ -f "$crt" && -f "$key" ]]; then
  # The customer's certificate (or one made by an earlier install): check it, never replace it.
  openssl x509 -in "$crt" -noout >/dev/null 2>&1 || die "$crt is not a PEM certificate"
  cert_pub="$(openssl x509 -in "$crt" -noout -pubkey 2>/dev/null | openssl sha256)"
  key_pub="$(openssl pkey -in "$key" -pubout 2>/dev/null | openssl sha256)" ||
    die "$key is not a PEM private key without a passphrase"
  [[ "$cert_pub" == "$key_pub" ]] || die "$key does not belong to the certificate $crt"
  openssl x509 -in "$crt" -noout -checkend 0 >/dev/null || die "the certificate $crt has expired"
  if ! openssl x509 -in "$crt" -noout -checkhost "$host" 2>/dev/null | grep -q 'does match' &&
    ! openssl x509 -in "$crt" -noout -checkip "$host" 2>/dev/null | grep -q 'does match'; then
    echo "parley: WARNING: $crt does not name $host (PARLEY_PUBLIC_URL); browsers will refuse it" >&2
  fi
elif [[ -f "$crt" || -f "$key" ]]; then
  die "config/tls needs both server.crt and server.key (PEM); only one of them is there"
else
  ca_crt="$TLS_DIR/ca.crt"
  ca_key="$SECRETS_DIR/ca.key"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  umask 077
  if [[ "$host" =~ ^[0-9.]+$ ]]; then san="IP:$host"; else san="DNS:$host"; fi
  extra="$(env_value PARLEY_TLS_EXTRA_NAMES)"
  [[ -n "$extra" ]] && san="$san,$extra"
  cat >"$work/ext.cnf" <<CNF
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
CNF
  if [[ ! -f "$ca_crt" || ! -f "$ca_key" ]]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$work/ca.key" -sha256 -days 3650 -subj "/O=Parley/CN=Parley internal CA ($host)" \
      -set_serial "0x$(openssl rand -hex 16)" -config "$work/ext.cnf" -extensions ca \
      -out "$work/ca.crt" 2>/dev/null || die "could not create the internal CA"
    chmod 0400 "$work/ca.key"
    chmod 0644 "$work/ca.crt"
    mv "$work/ca.key" "$ca_key"
    mv "$work/ca.crt" "$ca_crt"
    say "created an internal CA: $ca_crt (its key: $ca_key)"
  fi
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/server.key" 2>/dev/null
  openssl req -new -key "$work/server.key" -subj "/O=Parley/CN=$host" -out "$work/server.csr" 2>/dev/null
  openssl x509 -req -in "$work/server.csr" -CA "$ca_crt" -CAkey "$ca_key" -sha256 -days 397 \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$work/ext.cnf" -extensions server \
    -out "$work/server.crt" 2>/dev/null || die "could not sign the server certificate"
  openssl verify -CAfile "$ca_crt" "$work/server.crt" >/dev/null || die "the new certificate does not verify"
  chmod 0644 "$work/server.crt"
  mv "$work/server.key" "$key"
  mv "$work/server.crt" "$crt"
  say "created a TLS certificate for $san, signed by the internal CA"
fi
chmod 0644 "$crt"
protect "$key"

# --- Backup encryption key --------------------------------------------------------------------------
backup_pub="$SECRETS_DIR/backup_public_key.asc"
if [[ ! -s "$backup_pub" ]]; then
  backup_priv="$SECRETS_DIR/backup_private_key.asc"
  keys="$("$DOCKER" run --rm --network none --read-only --cap-drop ALL \
    --security-opt no-new-privileges:true --user 10001:10001 \
    "$(image_name app)" node ops/appliance/backupKey.ts "$host")" ||
    die "could not generate the backup key"
  (
    umask 077
    awk '/BEGIN PGP PRIVATE KEY BLOCK/ { p = 1 } p' <<<"$keys" >"$backup_priv.tmp"
    awk '/BEGIN PGP PUBLIC KEY BLOCK/ { p = 1 } p; /END PGP PUBLIC KEY BLOCK/ { exit }' <<<"$keys" >"$backup_pub.tmp"
  )
  if ! grep -q 'END PGP PRIVATE KEY BLOCK' "$backup_priv.tmp" ||
    ! grep -q 'END PGP PUBLIC KEY BLOCK' "$backup_pub.tmp"; then
    die "the generated backup key is incomplete"
  fi
  chmod 0400 "$backup_priv.tmp"
  mv "$backup_priv.tmp" "$backup_priv"
  protect "$backup_pub.tmp"
  mv "$backup_pub.tmp" "$backup_pub"
  say "generated the backup encryption key; its private half is $backup_priv"
  say "  -> copy that file somewhere safe off this server, then delete it here: backups cannot be"
  say "     restored without it, and it must not sit next to them"
fi
protect "$backup_pub"
