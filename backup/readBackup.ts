import { createReadStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as openpgp from 'openpgp';
import tar from 'tar-stream';
import { MANIFEST, manifestSchema, type Manifest } from './manifest.ts';
import { measure, pullStream } from './streams.ts';

export class BackupRefusedError extends Error {}

export interface ReadOptions {
  /** Armored private key(s) of a recipient; decrypted with the passphrase if protected. */
  decryptionKey: string;
  passphrase?: string;
  /** Armored public key(s) whose signature is accepted. */
  verificationKeys: string;
  /** Where each part goes; when absent, parts are only checked. */
  sink?: (name: string) => Writable | null;
  onProgress?: (bytes: number) => void;
}

/**
 * Streams a backup through decryption, decompression and tar, checking every part's size and
 * sha256 against the manifest and the signature at the end. Plaintext flows before the MDC and
 * signature are checked, so callers write it only to staging and trust nothing until this resolves.
 */
export async function readBackup(file: string, options: ReadOptions): Promise<Manifest> {
  let decryptionKeys = await openpgp.readPrivateKeys({ armoredKeys: options.decryptionKey });
  if (options.passphrase !== undefined) {
    decryptionKeys = await Promise.all(
      decryptionKeys.map(async (privateKey) =>
        privateKey.isDecrypted()
          ? privateKey
          : await openpgp.decryptKey({ privateKey, passphrase: options.passphrase! }),
      ),
    );
  }
  const verificationKeys = await openpgp.readKeys({ armoredKeys: options.verificationKeys });
  // Large chunks: openpgp.js and zlib pay per chunk (64 KiB reads made decryption twice as slow).
  const source = createReadStream(file, { highWaterMark: 1 << 20 });
  let read = 0;
  source.on('data', (chunk) => {
    read += chunk.length;
    options.onProgress?.(read);
  });
  let decrypted;
  try {
    const message = await openpgp.readMessage({ binaryMessage: pullStream(source) });
    decrypted = await openpgp.decrypt({
      message,
      decryptionKeys,
      verificationKeys,
      expectSigned: true,
      format: 'binary',
      config: { allowUnauthenticatedStream: true },
    });
  } catch (error) {
    source.destroy();
    throw refused('it cannot be decrypted with this key', error);
  }
  const seen: Manifest['parts'] = [];
  let manifestText: string | null = null;
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    void (async () => {
      if (header.name === MANIFEST) {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        manifestText = Buffer.concat(chunks).toString('utf8');
      } else {
        const hash = measure();
        const target = options.sink?.(header.name) ?? null;
        if (target) await pipeline(stream, hash, target);
        else await pipeline(stream, hash, drain());
        seen.push({ name: header.name, size: hash.size, sha256: hash.digest() });
      }
    })().then(() => next(), next);
  });
  try {
    await pipeline(
      Readable.fromWeb(decrypted.data as never),
      createGunzip({ chunkSize: 256 << 10 }),
      extract as never,
    );
    const signature = decrypted.signatures[0];
    if (!signature) throw new Error('not signed');
    await signature.verified;
  } catch (error) {
    throw refused('it is damaged, truncated or not signed by the expected key', error);
  }
  if (manifestText === null) throw refused('it has no manifest');
  let manifest: Manifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(manifestText));
  } catch (error) {
    throw refused('its manifest is unreadable', error);
  }
  const expected = new Map(manifest.parts.map((p) => [p.name, p]));
  if (seen.length !== expected.size) throw refused('its parts do not match the manifest');
  for (const part of seen) {
    const want = expected.get(part.name);
    if (!want || want.size !== part.size || want.sha256 !== part.sha256) {
      throw refused(`part ${part.name} does not match its checksum in the manifest`);
    }
  }
  return manifest;
}

function refused(why: string, cause?: unknown): BackupRefusedError {
  const detail = cause instanceof Error ? ` (${cause.message.split('\n')[0]})` : '';
  return new BackupRefusedError(`backup refused: ${why}${detail}; nothing was changed`);
}

function drain(): Writable {
  return new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
}
