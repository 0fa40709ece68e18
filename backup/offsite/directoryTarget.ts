import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Target } from './target.ts';
import { digestOf, tap } from '../archive/streams.ts';

// A hard-mounted NFS share whose server is gone blocks every call on it forever, each holding one
// of libuv's four threads, which zlib and the local backup need too. So every operation on the
// folder is watched: one that makes no progress for `idleMs` fails the attempt (and the alert says
// why), and while it is still stuck, no further call is made on that folder (by any round).
const stuck = new Map<string, { since: Date; what: string }>();

export class FolderNotAnsweringError extends Error {}

export function directoryTarget(path: string, options: { idleMs?: number } = {}): Target {
  const idleMs = options.idleMs ?? 60_000;

  /** Runs `op`, which calls `progress()` whenever it moves; gives up after idleMs without. */
  function watched<T>(what: string, op: (progress: () => void) => Promise<T>): Promise<T> {
    const hung = stuck.get(path);
    if (hung) {
      return Promise.reject(
        new FolderNotAnsweringError(
          `the folder ${path} has not answered since ${hung.since.toISOString()} (${hung.what}): is its NFS or SMB mount hung?`,
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout;
      let settled = false;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          settled = true;
          stuck.set(path, { since: new Date(), what });
          reject(
            new FolderNotAnsweringError(
              `the folder ${path} did not answer for ${Math.round(idleMs / 1000)} s (${what}): is its NFS or SMB mount hung?`,
            ),
          );
        }, idleMs);
      };
      arm();
      op(() => {
        if (!settled) arm();
      }).then(
        (value) => {
          clearTimeout(timer);
          stuck.delete(path); // it answered in the end: later calls may try again
          if (!settled) resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          stuck.delete(path);
          if (!settled) reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  return {
    name: `dir:${path}`,
    async put(localFile, name) {
      const tmp = join(path, `.${name}.tmp`);
      await watched(`creating ${path}`, () => mkdir(path, { recursive: true }));
      await watched(`writing ${name}`, (progress) =>
        pipeline(
          createReadStream(localFile, { highWaterMark: 1 << 20 }),
          tap(progress),
          createWriteStream(tmp),
        ),
      );
      await watched(`renaming ${name}`, () => rename(tmp, join(path, name)));
    },
    digest: (name) =>
      watched(`reading ${name} back`, async (progress) => {
        const counted = tap(progress);
        const reading = pipeline(
          createReadStream(join(path, name), { highWaterMark: 1 << 20 }),
          counted,
        );
        const [digest] = await Promise.all([digestOf(counted), reading]);
        return digest;
      }),
    get: (name, localFile) =>
      watched(`reading ${name}`, (progress) =>
        pipeline(
          createReadStream(join(path, name), { highWaterMark: 1 << 20 }),
          tap(progress),
          createWriteStream(localFile),
        ),
      ),
    list: () => watched(`listing ${path}`, () => readdir(path)),
    remove: (name) => watched(`removing ${name}`, () => rm(join(path, name), { force: true })),
    close: async () => {},
  };
}
