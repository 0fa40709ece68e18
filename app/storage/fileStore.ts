import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  type CipherGCM,
  type DecipherGCM,
} from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { open as openFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncPath } from './fsync.ts';

// The files volume: `tmp/` for uploads being scanned, `store/` for clean files. Every file is
// AES-256-GCM encrypted with its own random key; that key is stored wrapped by the master key
// (AES-256-GCM too: iv ‖ ciphertext ‖ tag), in the database, never beside the bytes.

const KEY_BYTES = 32;
const IV_BYTES = 12;
/** A blob's name: its storage key, 128 random bits in hex. */
const STORAGE_KEY = /^[0-9a-f]{32}$/;

/** Where a stored blob lives in a files volume (a standby's volume has the same layout). */
export function blobPath(dir: string, storageKey: string): string {
  if (!STORAGE_KEY.test(storageKey)) throw new Error('bad storage key');
  return join(dir, 'store', storageKey);
}

/** The names of the blobs in a volume's store/ (none if it does not exist), in one listing. */
export async function storedBlobNames(dir: string): Promise<Set<string>> {
  const names = await readdir(join(dir, 'store')).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return new Set(names.filter((name) => STORAGE_KEY.test(name)));
}

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
  /** Takes a chunk (encrypted and written in batches); a promise only when the disk is behind. */
  write(chunk: Buffer): Promise<void> | undefined;
  /** Finishes the ciphertext and makes the temp file durable (fsync); it may run during the scan. */
  seal(): Promise<SealedKey>;
  /** Moves the sealed file into the store, durably: only after clamd answered OK. */
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/** The disk may fall this far behind the upload before it paces it (per upload, bounded). */
const DISK_LAG_BYTES = 4 * 1024 * 1024;
/** Bytes gathered before they are encrypted and handed to the disk in one write. */
const BATCH_BYTES = 1024 * 1024;

export function fileStore(dir: string, masterKey: Buffer) {
  const tmpDir = join(dir, 'tmp');
  const storeDir = join(dir, 'store');
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  mkdirSync(storeDir, { recursive: true, mode: 0o700 });

  const pathOf = (storageKey: string) => blobPath(dir, storageKey);

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
        highWaterMark: DISK_LAG_BYTES,
        flush: true, // fsync before close: an acknowledged file survives a crash
      });
      let failed: Error | null = null;
      out.on('error', (error) => (failed = error));
      // Chunks are held, then encrypted and handed to the disk a batch at a time in one write: a
      // small file is encrypted and written only at `seal`, while clamd scans, not during the upload.
      let held: Buffer[] = [];
      let heldBytes = 0;
      const drained = () =>
        new Promise<void>((resolve, reject) => {
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
      const release = (): Promise<void> | undefined => {
        if (failed) return Promise.reject(failed);
        if (heldBytes === 0) return undefined;
        let ok = true;
        out.cork();
        for (const piece of held) ok = out.write(cipher.update(piece));
        out.uncork();
        held = [];
        heldBytes = 0;
        return ok ? undefined : drained();
      };
      return {
        storageKey,
        write(chunk) {
          if (failed) return Promise.reject(failed);
          held.push(chunk);
          heldBytes += chunk.length;
          return heldBytes >= BATCH_BYTES ? release() : undefined;
        },
        async seal() {
          void release()?.catch(() => undefined); // end() waits for it anyway, and reports failure
          const last = cipher.final();
          // 'close', not 'finish': the fsync (`flush`) runs when the file is closed.
          await new Promise<void>((resolve, reject) => {
            if (failed) return reject(failed);
            out.once('close', () => (failed ? reject(failed) : resolve()));
            out.end(last);
          });
          return { wrappedKey: wrap(key), iv, tag: cipher.getAuthTag() };
        },
        async commit() {
          await rename(tmpPath, pathOf(storageKey));
          await fsyncPath(storeDir);
        },
        async discard() {
          // A file still being opened would appear after its removal: that open is waited for.
          const opening =
            out.pending && !out.closed ? once(out, 'close').catch(() => undefined) : null;
          out.destroy();
          await opening;
          await rm(tmpPath, { force: true });
        },
      };
    },

    /**
     * The decrypted bytes of a stored file; the stream errors if the bytes were altered. Null when
     * the blob is not in the store: on a standby site, one that has not arrived yet.
     */
    async open(storageKey: string, sealed: SealedKey): Promise<Readable | null> {
      const decipher: DecipherGCM = createDecipheriv(
        'aes-256-gcm',
        unwrap(sealed.wrappedKey),
        sealed.iv,
      );
      decipher.setAuthTag(sealed.tag);
      const handle = await openFile(pathOf(storageKey), 'r').catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return null;
          throw error;
        },
      );
      if (!handle) return null;
      const source = handle.createReadStream();
      source.on('error', (error) => decipher.destroy(error));
      // A download broken off destroys the decipher: the file is closed with it, not left open.
      decipher.once('close', () => source.destroy());
      return source.pipe(decipher);
    },

    remove: (storageKey: string) => rm(pathOf(storageKey), { force: true }),

    /**
     * Removes temp files not written to for `olderThanMs`: what a crash left mid-upload (a live
     * upload writes as it arrives, and a finished one is renamed or removed). Returns how many.
     */
    async sweepLeftovers(olderThanMs: number, now = Date.now()): Promise<number> {
      let removed = 0;
      for (const name of await readdir(tmpDir)) {
        if (!STORAGE_KEY.test(name)) continue;
        const path = join(tmpDir, name);
        const info = await stat(path).catch(() => null); // gone meanwhile: finished or discarded
        if (!info?.isFile() || now - info.mtimeMs < olderThanMs) continue;
        await rm(path, { force: true });
        removed += 1;
      }
      return removed;
    },
  };
}

export type FileStore = ReturnType<typeof fileStore>;
