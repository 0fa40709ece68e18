#!/usr/bin/env bash
# `make install`, step 2: the site's secrets and TLS certificate, created only when missing.
#   config/secrets/db_password, secret_key,     random, generated here
#   files_master_key
#   config/secrets/db_ops_password               random: the database account of restores and drills
#                                                (it may create and drop the restore's databases)
#   config/secrets/redis_password                random: Redis, the visitor limits' counters (the app's)
#   config/secrets/metrics_token                 random: the bearer token Prometheus scrapes /metrics with
#   config/secrets/backup_public_key.asc         generated with its private key (moved off the server by
#                                                the admin), unless the site put its own public key there
#   config/secrets/backup_signing_key.asc        the appliance's signing key (the worker's secret); its
#   config/public-keys/backup_signing_public_key.asc   public half, for IT to check backups when restoring
#   config/tls/server.crt + server.key           the customer's certificate when present; otherwise an
#                                                internal CA (config/tls/ca.crt) signs one for the host
# Secret files are root:10001 mode 0440 in a 0700 directory: Compose mounts them into the containers,
# whose service accounts are in group 10001.
set -euo pipefail
# shellcheck source=ops/appliance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v openssl >/dev/null 2>&1 || die "openssl is required (apt-get install openssl)"
[[ -f "$ENV_FILE" ]] || die "$ENV_FILE missing (make install writes it first)"

install -d -m 0700 "$SECRETS_DIR"
install -d -m 0755 "$TLS_DIR"
install -d -m 0755 "$CONFIG_DIR/public-keys"
# Nothing in these folders belongs in version control.
[[ -f "$SECRETS_DIR/.gitignore" ]] || printf '*\n' >"$SECRETS_DIR/.gitignore"
[[ -f "$CONFIG_DIR/public-keys/.gitignore" ]] || printf '*\n' >"$CONFIG_DIR/public-keys/.gitignore"
make_secret "$SECRETS_DIR/db_password" openssl rand -hex 32
make_secret "$SECRETS_DIR/secret_key" openssl rand -base64 48
# Wraps each uploaded file's own key (AES-256-GCM at rest); exactly 32 random bytes.
make_secret "$SECRETS_DIR/files_master_key" openssl rand 32
make_secret "$SECRETS_DIR/db_ops_password" openssl rand -hex 32
make_secret "$SECRETS_DIR/redis_password" openssl rand -hex 32
make_secret "$SECRETS_DIR/metrics_token" openssl rand -hex 32
protect "$SECRETS_DIR/db_password" "$SECRETS_DIR/secret_key" "$SECRETS_DIR/files_master_key" \
  "$SECRETS_DIR/db_ops_password" "$SECRETS_DIR/redis_password" "$SECRETS_DIR/metrics_token"

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

# --- Backup keys ------------------------------------------------------------------------------------
# Generated in the app image (openpgp.js), with no network, no capabilities and a read-only filesystem.
in_app_image() { # in_app_image ARGS...: node ops/appliance/backupKey.ts ARGS, stdin passed through
  "$DOCKER" run --rm -i --network none --read-only --cap-drop ALL \
    --security-opt no-new-privileges:true --user 10001:10001 \
    "$(image_name app)" node ops/appliance/backupKey.ts "$@"
}

split_pair() { # split_pair KEYS PUBLIC_OUT PRIVATE_OUT: the armored blocks backupKey.ts printed
  (
    umask 077
    awk '/BEGIN PGP PRIVATE KEY BLOCK/ { p = 1 } p' <<<"$1" >"$3"
    awk '/BEGIN PGP PUBLIC KEY BLOCK/ { p = 1 } p; /END PGP PUBLIC KEY BLOCK/ { exit }' <<<"$1" >"$2"
  )
  grep -q 'END PGP PRIVATE KEY BLOCK' "$3" && grep -q 'END PGP PUBLIC KEY BLOCK' "$2" && return 0
  rm -f "$2" "$3"
  return 1
}

# Encryption: IT's key pair. The appliance keeps only the public half, so it cannot read its backups.
backup_pub="$SECRETS_DIR/backup_public_key.asc"
if [[ ! -s "$backup_pub" ]]; then
  backup_priv="$SECRETS_DIR/backup_private_key.asc"
  keys="$(in_app_image "$host" </dev/null)" || die "could not generate the backup key"
  split_pair "$keys" "$backup_pub.tmp" "$backup_priv.tmp" || die "the generated backup key is incomplete"
  chmod 0400 "$backup_priv.tmp"
  mv "$backup_priv.tmp" "$backup_priv"
  protect "$backup_pub.tmp"
  mv "$backup_pub.tmp" "$backup_pub"
  say "generated the backup encryption key; its private half is $backup_priv"
  say "  -> copy that file somewhere safe off this server, then delete it here: backups cannot be"
  say "     restored without it, and it must not sit next to them"
fi
protect "$backup_pub"

# Signing: the appliance's own key pair. The worker signs every backup with the private half (a
# Compose secret); the public half is published next to appliance.env for IT's restores.
signing_key="$SECRETS_DIR/backup_signing_key.asc"
signing_pub="$CONFIG_DIR/public-keys/backup_signing_public_key.asc"
if [[ ! -s "$signing_key" ]]; then
  keys="$(in_app_image "$host" signing </dev/null)" || die "could not generate the backup signing key"
  split_pair "$keys" "$signing_pub.tmp" "$signing_key.tmp" || die "the generated signing key is incomplete"
  protect "$signing_key.tmp"
  chmod 0644 "$signing_pub.tmp"
  # A public key left from an earlier signing key still checks the backups that key signed.
  if [[ -s "$signing_pub" ]]; then
    mv "$signing_pub" "${signing_pub%.asc}.replaced-$(date -u +%Y%m%dT%H%M%SZ).asc"
  fi
  mv "$signing_key.tmp" "$signing_key"
  mv "$signing_pub.tmp" "$signing_pub"
  say "generated the backup signing key (the worker's secret $signing_key)"
  say "  its public half, to check backups when restoring elsewhere: $signing_pub"
elif [[ ! -s "$signing_pub" ]]; then
  if ! in_app_image --public <"$signing_key" >"$signing_pub.tmp" ||
    ! grep -q 'END PGP PUBLIC KEY BLOCK' "$signing_pub.tmp"; then
    rm -f "$signing_pub.tmp"
    die "could not write the public half of $signing_key"
  fi
  chmod 0644 "$signing_pub.tmp"
  mv "$signing_pub.tmp" "$signing_pub"
  say "wrote the backup signing public key again: $signing_pub"
fi
protect "$signing_key"
