import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  type CipherGCM,
  type DecipherGCM,
} from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  readFileSync,
  type WriteStream,
} from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

// The files volume: `tmp/` for uploads being scanned, `store/` for clean files. Every file is
// AES-256-GCM encrypted with its own random key; that key is stored wrapped by the master key
// (AES-256-GCM too: iv ‖ ciphertext ‖ tag), in the database, never beside the bytes.

const KEY_BYTES = 32;
const IV_BYTES = 12;

/** Reads the master key: a file holding exactly 32 bytes. Throws a message an operator can act on. */
export function readMasterKey(path: string): Buffer {
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch {
    throw new Error(`PARLEY_FILES_MASTER_KEY_FILE: cannot read ${path}`);
  }
  if (key.length !== KEY_BYTES)
    throw new Error(
      `PARLEY_FILES_MASTER_KEY_FILE: must hold exactly 32 bytes (it holds ${key.length}); create it with \`openssl rand 32\``,
    );
  return key;
}

export interface SealedKey {
  wrappedKey: Buffer;
  iv: Buffer;
  tag: Buffer;
}

/** An encrypting temp file being written; `seal` finishes it and returns what decrypts it. */
export interface PendingBlob {
  readonly storageKey: string;
  write(chunk: Buffer): Promise<void>;
  seal(): Promise<SealedKey>;
  /** Moves it into the store: only after clamd answered OK. */
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export function fileStore(dir: string, masterKey: Buffer) {
  const tmpDir = join(dir, 'tmp');
  const storeDir = join(dir, 'store');
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  mkdirSync(storeDir, { recursive: true, mode: 0o700 });

  const pathOf = (storageKey: string) => {
    if (!/^[0-9a-f]{32}$/.test(storageKey)) throw new Error('bad storage key');
    return join(storeDir, storageKey);
  };

  function wrap(key: Buffer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
    const body = Buffer.concat([cipher.update(key), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]);
  }

  function unwrap(wrapped: Buffer): Buffer {
    const iv = wrapped.subarray(0, IV_BYTES);
    const tag = wrapped.subarray(wrapped.length - 16);
    const decipher = createDecipheriv('aes-256-gcm', masterKey, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(wrapped.subarray(IV_BYTES, wrapped.length - 16)),
      decipher.final(),
    ]);
  }

  return {
    tmpDir,
    storeDir,
    pathOf,

    create(): PendingBlob {
      const storageKey = randomBytes(16).toString('hex');
      const key = randomBytes(KEY_BYTES);
      const iv = randomBytes(IV_BYTES);
      const cipher: CipherGCM = createCipheriv('aes-256-gcm', key, iv);
      const tmpPath = join(tmpDir, storageKey);
      const out: WriteStream = createWriteStream(tmpPath, {
        flags: 'wx',
        mode: 0o600,
        highWaterMark: 1024 * 1024, // bounded buffering, so the disk does not pace each chunk
      });
      let failed: Error | null = null;
      out.on('error', (error) => (failed = error));
      const put = (data: Buffer) =>
        new Promise<void>((resolve, reject) => {
          if (failed) return reject(failed);
          if (data.length === 0) return resolve();
          if (out.write(data)) return resolve();
          const onDrain = () => {
            out.off('error', onError);
            resolve();
          };
          const onError = (error: Error) => {
            out.off('drain', onDrain);
            reject(error);
          };
          out.once('drain', onDrain);
          out.once('error', onError);
        });
      return {
        storageKey,
        write: (chunk) => put(cipher.update(chunk)),
        async seal() {
          await put(cipher.final());
          await new Promise<void>((resolve, reject) => {
            if (failed) return reject(failed);
            out.end(() => (failed ? reject(failed) : resolve()));
          });
          return { wrappedKey: wrap(key), iv, tag: cipher.getAuthTag() };
        },
        commit: () => rename(tmpPath, pathOf(storageKey)),
        async discard() {
          out.destroy();
          await rm(tmpPath, { force: true });
        },
      };
    },

    /** The decrypted bytes of a stored file; the stream errors if the bytes were altered. */
    open(storageKey: string, sealed: SealedKey): Readable {
      const decipher: DecipherGCM = createDecipheriv(
        'aes-256-gcm',
        unwrap(sealed.wrappedKey),
        sealed.iv,
      );
      decipher.setAuthTag(sealed.tag);
      const source = createReadStream(pathOf(storageKey));
      source.on('error', (error) => decipher.destroy(error));
      return source.pipe(decipher);
    },

    remove: (storageKey: string) => rm(pathOf(storageKey), { force: true }),
  };
}

export type FileStore = ReturnType<typeof fileStore>;
