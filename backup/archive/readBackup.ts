import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import * as openpgp from 'openpgp';
import tar from 'tar-stream';
import {
  HEADER,
  MANIFEST,
  headerSchema,
  manifestSchema,
  type BackupHeader,
  type Manifest,
} from './manifest.ts';
import { collector } from './gcTuning.ts';
import { measure, pullStream, tap } from './streams.ts';
import type { SessionKey } from './agentSessionKey.ts';

export class BackupRefusedError extends Error {}

export interface BackupKeys {
  /** Armored private key(s) of a recipient; decrypted with the passphrase if protected. */
  decryptionKey?: string;
  passphrase?: string;
  /** Instead of a private key: the backup's session key (from gpg-agent, `KEY=agent`). */
  sessionKey?: SessionKey;
  /** Armored public key(s) whose signature is accepted. */
  verificationKeys: string;
}

export interface ReadOptions extends BackupKeys {
  /** Where each part goes; when absent, parts are only checked. */
  sink?: (name: string) => Writable | null;
  onProgress?: (bytes: number) => void;
  /** What `authenticate` saw: only these exact bytes are read. */
  pinned?: Authenticated;
}

/** What the first pass proved: the ciphertext's 1 MiB blocks, and the header it carries. */
export interface Authenticated {
  size: number;
  blocks: Buffer[];
  /** null for a backup made before the header entry existed. */
  header: BackupHeader | null;
}

const BLOCK = 1 << 20;
// The header is the archive's first entry: it lies within the first few KiB of the tar.
const HEAD_BYTES = 64 << 10;

/**
 * Pass 1: decrypts the whole backup and checks its MDC and signature without decompressing it,
 * remembering the sha256 of every 1 MiB block of ciphertext so pass 2 reads exactly these bytes
 * (a file swapped or edited between the passes is refused before any of it is used), and reads
 * the header entry from the (now authenticated) start of the archive.
 */
export async function authenticate(
  file: FileHandle,
  options: BackupKeys & { onProgress?: (bytes: number) => void; stallMs?: number },
): Promise<Authenticated> {
  const keys = await openKeys(options); // before any byte is read: unlocking a key takes time
  const blocks = new BlockHashes();
  const watch = progressWatch(options.stallMs ?? STALL_MS);
  let read = 0;
  const source = file.createReadStream({ start: 0, autoClose: false, highWaterMark: BLOCK }).pipe(
    tap((chunk) => {
      watch.moved();
      blocks.update(chunk);
      read += chunk.length;
      options.onProgress?.(read);
    }),
  );
  const head: Buffer[] = [];
  let headSize = 0;
  const collect = collector();
  const check = async () => {
    const decrypted = await decrypt(source, keys);
    for await (const chunk of Readable.fromWeb(decrypted.data as never)) {
      watch.moved();
      collect((chunk as Uint8Array).length);
      if (headSize < HEAD_BYTES) {
        head.push(Buffer.from(chunk as Uint8Array));
        headSize += (chunk as Uint8Array).length;
      }
    }
    await verified(decrypted);
  };
  try {
    await Promise.race([check(), watch.stalled]);
  } catch (error) {
    source.destroy();
    throw refused('it is damaged, truncated or not signed by the expected key', error);
  } finally {
    watch.stop();
  }
  return { size: read, blocks: blocks.end(), header: readHeader(Buffer.concat(head)) };
}

// Decrypting garbage (a wrong session key, a forged file) can leave openpgp.js waiting on itself
// for ever: about one random session key in forty did. The first pass reads a local file and
// waits on nothing else, so a minute without a byte in or out means it is stuck.
const STALL_MS = 60_000;

function progressWatch(stallMs: number) {
  let last = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(
      () => {
        if (Date.now() - last < stallMs) return;
        clearInterval(timer);
        reject(new Error(`decryption made no progress for ${Math.round(stallMs / 1000)} s`));
      },
      Math.min(1000, stallMs / 4),
    );
  });
  stalled.catch(() => {}); // raced; unobserved once the pass has ended
  return {
    stalled,
    moved: () => void (last = Date.now()),
    stop: () => clearInterval(timer),
  };
}

/**
 * Streams a backup through decryption, decompression and tar, checking every part's size and
 * sha256 against the manifest and the signature at the end. Plaintext flows before the MDC and
 * signature are checked (unless pinned to what `authenticate` proved), so callers write it only
 * to staging and trust nothing until this resolves.
 */
export async function readBackup(file: FileHandle, options: ReadOptions): Promise<Manifest> {
  const keys = await openKeys(options); // before any byte is read: unlocking a key takes time
  let read = 0;
  const raw = file.createReadStream({ start: 0, autoClose: false, highWaterMark: BLOCK });
  const counted = raw.pipe(
    tap((chunk) => {
      read += chunk.length;
      options.onProgress?.(read);
    }),
  );
  raw.on('error', (e) => counted.destroy(e));
  const source = options.pinned ? counted.pipe(pinnedTo(options.pinned)) : counted;
  if (source !== counted) counted.on('error', (e) => source.destroy(e));
  const decrypted = await decrypt(source, keys);
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
  const collect = collector();
  try {
    await pipeline(
      Readable.fromWeb(decrypted.data as never),
      createGunzip({ chunkSize: 256 << 10 }),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          collect(chunk.length);
          yield chunk;
        }
      },
      extract as never,
    );
    await verified(decrypted);
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
  const header = options.pinned?.header;
  if (header && Object.entries(header).some(([k, v]) => manifest[k as keyof Manifest] !== v)) {
    throw refused('its header and manifest disagree');
  }
  return manifest;
}

type OpenKeys = { verificationKeys: openpgp.Key[] } & (
  { decryptionKeys: openpgp.PrivateKey[] } | { sessionKeys: SessionKey }
);

async function openKeys(keys: BackupKeys): Promise<OpenKeys> {
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

async function decrypt(source: Readable, keys: OpenKeys) {
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

async function verified(decrypted: openpgp.DecryptMessageResult): Promise<void> {
  const signature = decrypted.signatures[0];
  if (!signature) throw new Error('not signed');
  await signature.verified;
}

/** The header entry at the start of an authenticated archive, or null when the first entry is another. */
function readHeader(gzipped: Buffer): BackupHeader | null {
  let tarStart: Buffer;
  try {
    // The start of a longer stream: flush what it holds instead of expecting its end.
    tarStart = gunzipSync(gzipped, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch (error) {
    throw refused('it is not a gzipped archive', error);
  }
  if (tarStart.length < 512) return null;
  const name = tarStart.toString('utf8', 0, 100).replace(/\0.*$/s, '');
  const size = Number.parseInt(tarStart.toString('ascii', 124, 136).replace(/\0.*$/s, ''), 8);
  if (name !== HEADER) return null;
  if (!(size > 0) || 512 + size > tarStart.length) throw refused('its header is unreadable');
  try {
    return headerSchema.parse(JSON.parse(tarStart.toString('utf8', 512, 512 + size)));
  } catch (error) {
    throw refused('its header is unreadable', error);
  }
}

/** sha256 of every BLOCK-sized piece of a stream, whatever sizes its chunks come in. */
class BlockHashes {
  private readonly done: Buffer[] = [];
  private hash = createHash('sha256');
  private filled = 0;

  update(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(BLOCK - this.filled, chunk.length - offset);
      this.hash.update(chunk.subarray(offset, offset + n));
      this.filled += n;
      offset += n;
      if (this.filled === BLOCK) this.next();
    }
  }

  end(): Buffer[] {
    if (this.filled > 0) this.next();
    return this.done;
  }

  private next(): void {
    this.done.push(this.hash.digest());
    this.hash = createHash('sha256');
    this.filled = 0;
  }
}

/** Lets a block through only once it matches, byte for byte (by sha256), what pass 1 read. */
function pinnedTo(pinned: Authenticated): Transform {
  let block = Buffer.allocUnsafe(BLOCK);
  let filled = 0;
  let index = 0;
  const changed = () =>
    refused('it changed on disk while being restored (it no longer matches what was verified)');
  const release = (t: Transform): Error | null => {
    const body = block.subarray(0, filled);
    const want = pinned.blocks[index++];
    if (!want || !createHash('sha256').update(body).digest().equals(want)) return changed();
    t.push(body);
    block = Buffer.allocUnsafe(BLOCK);
    filled = 0;
    return null;
  };
  return new Transform({
    transform(this: Transform, chunk: Buffer, _encoding, done: TransformCallback) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = chunk.copy(block, filled, offset);
        filled += n;
        offset += n;
        if (filled === BLOCK) {
          const error = release(this);
          if (error) return done(error);
        }
      }
      done();
    },
    flush(this: Transform, done: TransformCallback) {
      if (filled > 0) {
        const error = release(this);
        if (error) return done(error);
      }
      done(index === pinned.blocks.length ? null : changed());
    },
  });
}

function refused(why: string, cause?: unknown): BackupRefusedError {
  if (cause instanceof BackupRefusedError) return cause;
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
