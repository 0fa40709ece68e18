import type { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import type { SessionKey } from './agentSessionKey.ts';
import { refused } from './refused.ts';
import { pullStream } from './streams.ts';

// The OpenPGP side of reading a backup, shared by both passes: the keys opened once, the message
// decrypted as a stream, and the signature checked at its end.

export interface BackupKeys {
  /** Armored private key(s) of a recipient; decrypted with the passphrase if protected. */
  decryptionKey?: string;
  passphrase?: string;
  /** Instead of a private key: the backup's session key (from gpg-agent, `KEY=agent`). */
  sessionKey?: SessionKey;
  /** Armored public key(s) whose signature is accepted. */
  verificationKeys: string;
}

export type OpenKeys = { verificationKeys: openpgp.Key[] } & (
  { decryptionKeys: openpgp.PrivateKey[] } | { sessionKeys: SessionKey }
);

export async function openKeys(keys: BackupKeys): Promise<OpenKeys> {
  let verificationKeys: openpgp.Key[];
  try {
    verificationKeys = await openpgp.readKeys({ armoredKeys: keys.verificationKeys });
  } catch (error) {
    throw refused('the signing public key cannot be read', error);
  }
  if (keys.sessionKey) return { sessionKeys: keys.sessionKey, verificationKeys };
  if (!keys.decryptionKey) throw refused('no private key (or KEY=agent) was given to decrypt it');
  let decryptionKeys: openpgp.PrivateKey[];
  try {
    decryptionKeys = await openpgp.readPrivateKeys({ armoredKeys: keys.decryptionKey });
    if (keys.passphrase !== undefined) {
      decryptionKeys = await Promise.all(
        decryptionKeys.map(async (privateKey) =>
          privateKey.isDecrypted()
            ? privateKey
            : await openpgp.decryptKey({ privateKey, passphrase: keys.passphrase! }),
        ),
      );
    }
  } catch (error) {
    throw refused('the private key cannot be read or unlocked (is the passphrase right?)', error);
  }
  return { decryptionKeys, verificationKeys };
}

export async function decrypt(source: Readable, keys: OpenKeys) {
  try {
    // Large chunks: openpgp.js pays per chunk (64 KiB reads made decryption twice as slow).
    const message = await openpgp.readMessage({ binaryMessage: pullStream(source) });
    return await openpgp.decrypt({
      message,
      ...keys,
      expectSigned: true,
      format: 'binary',
      config: { allowUnauthenticatedStream: true },
    });
  } catch (error) {
    source.destroy();
    throw refused('it cannot be decrypted with this key', error);
  }
}

export async function verified(decrypted: openpgp.DecryptMessageResult): Promise<void> {
  const signature = decrypted.signatures[0];
  if (!signature) throw new Error('not signed');
  await signature.verified;
}
