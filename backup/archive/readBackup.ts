import type { FileHandle } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { MANIFEST, manifestSchema, type Manifest } from './manifest.ts';
import { BLOCK, pinnedTo, type Authenticated } from './authenticate.ts';
import { decrypt, openKeys, verified, type BackupKeys } from './decryption.ts';
import { collector } from './gcTuning.ts';
import { refused } from './refused.ts';
import { measure, tap } from './streams.ts';

export interface ReadOptions extends BackupKeys {
  /** Where each part goes; when absent, parts are only checked. */
  sink?: (name: string) => Writable | null;
  onProgress?: (bytes: number) => void;
  /** What `authenticate` saw: only these exact bytes are read. */
  pinned?: Authenticated;
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

function drain(): Writable {
  return new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
}
