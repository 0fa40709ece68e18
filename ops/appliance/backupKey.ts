// `make install` (run inside the app image): generates the OpenPGP key pair that encrypts backups.
// Prints the public key, then the private key, both armored; the installer stores the public key as a
// Compose secret and tells the admin to move the private key off the server.
// The default key is v4 with legacy curve25519 ECC, which GnuPG 2.2 (Debian 12) can decrypt with.
import { generateKey } from 'openpgp';

const site = process.argv[2] ?? 'parley';
const { publicKey, privateKey } = await generateKey({
  userIDs: [{ name: `Parley backups (${site})` }],
  format: 'armored',
});
process.stdout.write(`${publicKey.trim()}\n${privateKey.trim()}\n`);
