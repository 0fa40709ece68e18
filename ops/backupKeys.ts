// Development only: creates a backup signing key for the appliance and a stand-in "IT" key pair
// (on a real install IT generates its own pair and gives Parley only the public key).
// Usage: node ops/backupKeys.ts <secrets dir>   — existing files are left alone.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node ops/backupKeys.ts <secrets dir>');
  process.exit(64);
}

async function pair(name: string): Promise<{ privateKey: string; publicKey: string }> {
  // ECC curve25519Legacy v4 keys: what GnuPG 2.2 (Debian 12) reads.
  return openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name }],
    format: 'armored',
  });
}

const signing = join(dir, 'backup_signing.key');
if (!existsSync(signing)) {
  const key = await pair('Parley appliance backup signing');
  writeFileSync(signing, key.privateKey, { mode: 0o600 });
  writeFileSync(join(dir, 'backup_signing.pub'), key.publicKey, { mode: 0o644 });
}
const recipient = join(dir, 'backup_recipients.pub');
if (!existsSync(recipient)) {
  const key = await pair('Parley dev IT backup recipient');
  writeFileSync(join(dir, 'backup_recipient_dev.key'), key.privateKey, { mode: 0o600 });
  writeFileSync(recipient, key.publicKey, { mode: 0o644 });
}
