import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// Backups and restores stream ~3 GB of short-lived Buffers through zlib and openpgp.js. By default
// V8 starts a full collection whenever Buffer (external) memory has grown by a fixed step: ~110
// per backup of a 560 MB database, ~2.5 s of CPU on a 2-core machine. Counting that memory
// within the heap's global limit instead (a V8 option, off by default in Node 24) leaves ~24 and
// makes the backup ~15% faster, but lets dead Buffers pile up (peak RSS 314 MiB): so the
// streams call a full collection themselves after every 16 MiB (they allocate ~3.5 bytes per byte
// streamed): peak RSS 215-235 MiB, and still faster (8 MiB: 185-197 MiB but 20% slower). Imported
// by the modules that stream backups, so every process that runs one (worker, ops) has it.
setFlagsFromString('--external-memory-accounted-in-global-limit');
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
setFlagsFromString('--no-expose-gc');

const COLLECT_BYTES = 16 << 20;

/** Counts bytes streamed and collects garbage after every COLLECT_BYTES. */
export function collector(): (bytes: number) => void {
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since >= COLLECT_BYTES) {
      since = 0;
      gc();
    }
  };
}
