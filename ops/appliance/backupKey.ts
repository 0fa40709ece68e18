// `make install` (run inside the app image): generates an OpenPGP key pair for backups.
//   node ops/appliance/backupKey.ts <site>            the key backups are encrypted to
//   node ops/appliance/backupKey.ts <site> signing    the appliance's key that signs them
//   node ops/appliance/backupKey.ts --public <key     the public half of an armored private key
// Prints the public key, then the private key, both armored. The installer keeps the encryption
// key's public half and tells the admin to move its private half off the server; it keeps the
// signing key's private half as the worker's Compose secret and publishes its public half for IT.
// Both are v4 keys with legacy curve25519 ECC, which GnuPG 2.2 (Debian 12) reads.
import { text } from 'node:stream/consumers';
import { generateKey, readPrivateKey } from 'openpgp';

if (process.argv[2] === '--public') {
  const key = await readPrivateKey({ armoredKey: await text(process.stdin) });
  process.stdout.write(`${key.toPublic().armor().trim()}\n`);
  process.exit(0);
}
const site = process.argv[2] ?? 'parley';
const signing = process.argv[3] === 'signing';
const { publicKey, privateKey } = await generateKey({
  type: 'ecc',
  curve: 'curve25519Legacy',
  userIDs: [{ name: signing ? `Parley backup signing (${site})` : `Parley backups (${site})` }],
  // A signing key needs no encryption subkey: nothing is ever encrypted to it.
  ...(signing ? { subkeys: [] } : {}),
  format: 'armored',
});
process.stdout.write(`${publicKey.trim()}\n${privateKey.trim()}\n`);
