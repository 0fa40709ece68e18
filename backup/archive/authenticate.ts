import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { constants, gunzipSync } from 'node:zlib';
import { HEADER, headerSchema, type BackupHeader } from './manifest.ts';
import { decrypt, openKeys, verified, type BackupKeys } from './decryption.ts';
import { collector } from './gcTuning.ts';
import { refused } from './refused.ts';
import { tap } from './streams.ts';

/** What the first pass proved: the ciphertext's 1 MiB blocks, and the header it carries. */
export interface Authenticated {
  size: number;
  blocks: Buffer[];
  /** null for a backup made before the header entry existed. */
  header: BackupHeader | null;
}

export const BLOCK = 1 << 20;
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
export function pinnedTo(pinned: Authenticated): Transform {
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
