import { Socket } from 'node:net';
import NodeClam from 'clamscan';

// clamd over TCP. Health (PING, VERSION) goes through the owner's `clamscan` package. The scan path
// speaks INSTREAM itself: clamscan hides clamd's reply when clamd closes the stream early (over
// StreamMaxLength it reports only `write EPIPE`), and Parley must always say what clamd said.

export interface ClamdStatus {
  up: boolean;
  version?: string;
  signatures?: string;
  signaturesDate?: string;
}

/** Whether clamd answers PING (a fresh connection). */
export function ping(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(reply.startsWith('PONG')));
    socket.connect(port, host, () => socket.end('zPING\0'));
  });
}

export function clamdClient(host: string, port: number, timeoutMs: number) {
  let scanner: ReturnType<NodeClam['init']> | null = null;
  const clamscan = () =>
    (scanner ??= new NodeClam()
      .init({
        clamscan: { active: false },
        clamdscan: {
          host,
          port,
          timeout: timeoutMs,
          socket: false,
          path: null,
          configFile: null,
          localFallback: false,
          active: true,
          bypassTest: true, // connects on use: clamd may start after Parley
        },
        preference: 'clamdscan',
        removeInfected: false,
        debugMode: false,
      })
      .catch((error: unknown) => {
        scanner = null;
        throw error;
      }));
  return {
    async status(): Promise<ClamdStatus> {
      try {
        const clam = await clamscan();
        (await withTimeout(clam.ping(), timeoutMs)).end();
        // "ClamAV 1.4.6/27000/Fri Nov 20 09:00:00 2026"
        const reply = (await withTimeout(clam.getVersion(), timeoutMs)).replace(/\0/g, '').trim();
        const [version, signatures, signaturesDate] = reply.split('/');
        return { up: true, version, signatures, signaturesDate };
      } catch {
        return { up: false };
      }
    },
  };
}

/** clamscan's own time-outs do not cover every wait (a frozen clamd): this bounds each call. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('clamd timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export type ClamdClient = ReturnType<typeof clamdClient>;

/** What clamd said about a stream; anything but `clean` means the file is refused. */
export type ScanVerdict =
  | { result: 'clean'; reply: string }
  | { result: 'infected'; signature: string; reply: string }
  /** clamd's own limit (StreamMaxLength, archive depth, …): its reply, verbatim. */
  | { result: 'limit'; reply: string }
  /** clamd answered with an error of its own. */
  | { result: 'error'; reply: string }
  /** No answer: refused connection, closed without a reply, or timed out. */
  | { result: 'unavailable'; reason: string };

export function verdictOf(reply: string): ScanVerdict {
  const text = reply.replace(/\0+$/, '').trim();
  if (text === 'stream: OK') return { result: 'clean', reply: text };
  const found = /^stream: (.+) FOUND$/.exec(text);
  // With AlertExceedsMax, clamd reports its scan limits (archive too deep, too large) as a detection.
  if (found?.[1]!.startsWith('Heuristics.Limits.'))
    return { result: 'limit', reply: `clamd's scan limits were exceeded (${found[1]})` };
  if (found) return { result: 'infected', signature: found[1]!, reply: text };
  if (text === '')
    return { result: 'unavailable', reason: 'clamd closed the connection without an answer' };
  if (/limit|exceeded|too (deep|large|long)|Heuristics\.Limits/i.test(text))
    return { result: 'limit', reply: text.replace(/^stream: /, '') };
  return { result: 'error', reply: text.replace(/^stream: /, '') };
}

/** Bytes gathered into one INSTREAM chunk: fewer frames and syscalls for both sides, no copies. */
const FRAME_BYTES = 64 * 1024;
/** Bytes queued on the socket before a write waits for clamd to read: the upload keeps flowing. */
const QUEUED_BYTES = 1024 * 1024;

export interface InstreamScan {
  /**
   * Queues one piece of the stream. Returns a promise only when the caller must wait (clamd is
   * reading slower than the upload arrives); otherwise undefined, so the hot path allocates nothing.
   */
  write(chunk: Buffer): Promise<void> | undefined;
  /** Ends the stream and waits for clamd's answer (bounded by the scan timeout). */
  finish(): Promise<ScanVerdict>;
  /** Whether clamd has answered (or the connection ended) before the stream was finished. */
  readonly answered: boolean;
  abort(): void;
}

/**
 * Starts an INSTREAM scan at once: what is written while it connects is queued (bounded like any
 * write), so the upload does not wait for the connection. Connection problems never throw: they
 * become an `unavailable` verdict, so the caller fails closed with one code path.
 */
export function startInstream(
  host: string,
  port: number,
  connectTimeoutMs: number,
  scanTimeoutMs: number,
): InstreamScan & { connecting: Promise<void> } {
  const socket = new Socket({ writableHighWaterMark: QUEUED_BYTES } as ConstructorParameters<
    typeof Socket
  >[0]);
  const chunks: Buffer[] = [];
  let failure: string | null = null;
  let closed = false;
  let settle: (verdict: ScanVerdict) => void = () => {};
  const done = new Promise<ScanVerdict>((resolve) => (settle = resolve));
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
    waiters.clear();
  };

  let connected = false;
  let finished = false;
  let timeoutMessage = `clamd did not accept the connection within ${connectTimeoutMs} ms`;
  const awaitAnswer = () => {
    timeoutMessage = `clamd did not answer within ${scanTimeoutMs} ms`;
    socket.setTimeout(scanTimeoutMs);
  };
  socket.setNoDelay(true);
  socket.on('timeout', () => {
    failure ??= timeoutMessage;
    socket.destroy();
  });
  socket.setTimeout(connectTimeoutMs);
  let cutOff = false;
  socket.on('error', (error: NodeJS.ErrnoException) => {
    // EPIPE / ECONNRESET after clamd answered early: the answer (read below) is what counts.
    if (connected && (error.code === 'EPIPE' || error.code === 'ECONNRESET')) cutOff = true;
    failure ??=
      error.code === 'ECONNREFUSED' ? 'clamd refused the connection' : 'connection to clamd failed';
  });
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('drain', wake);
  socket.once('close', () => {
    closed = true;
    wake();
    const reply = Buffer.concat(chunks).toString('utf8');
    const verdict = verdictOf(reply);
    if (verdict.result !== 'unavailable' || !failure) return settle(verdict);
    if (!cutOff) return settle({ result: 'unavailable', reason: failure });
    // clamd closed the stream mid-upload and Node's failed write dropped its reply unread (the
    // EPIPE the clamscan package reports). If clamd still answers PING, it ended the stream on
    // purpose: its StreamMaxLength; otherwise it went away.
    void ping(host, port, connectTimeoutMs).then((alive) =>
      settle(
        alive
          ? {
              result: 'limit',
              reply:
                'clamd ended the stream before the end of the file: the file is larger than its StreamMaxLength',
            }
          : { result: 'unavailable', reason: 'clamd went away during the upload' },
      ),
    );
  });

  // Pieces gathered for the next frame; sent as one writev: its length header, then the pieces.
  let frame: Buffer[] = [];
  let frameBytes = 0;
  const flush = (last: boolean) => {
    socket.cork();
    if (frameBytes > 0) {
      const header = Buffer.allocUnsafe(4);
      header.writeUInt32BE(frameBytes);
      socket.write(header);
      for (const piece of frame) socket.write(piece);
    }
    if (last) socket.write(Buffer.alloc(4)); // the zero-length chunk ends the stream
    socket.uncork();
    frame = [];
    frameBytes = 0;
  };

  const scan: InstreamScan = {
    get answered() {
      return closed || chunks.length > 0;
    },
    write(chunk) {
      if (scan.answered || chunk.length === 0) return undefined;
      frame.push(chunk);
      frameBytes += chunk.length;
      if (frameBytes < FRAME_BYTES) return undefined;
      flush(false);
      if (socket.writableLength < QUEUED_BYTES) return undefined;
      return new Promise<void>((resolve) => waiters.add(resolve));
    },
    async finish() {
      if (!scan.answered) {
        finished = true;
        if (connected) awaitAnswer();
        flush(true);
      }
      return done;
    },
    abort() {
      failure ??= 'aborted';
      socket.destroy();
    },
  };

  const connecting = new Promise<void>((resolve) => {
    socket.connect(port, host, () => {
      connected = true;
      if (finished) awaitAnswer();
      else {
        timeoutMessage = `clamd stopped reading the upload for ${scanTimeoutMs} ms`;
        socket.setTimeout(scanTimeoutMs);
      }
      resolve();
    });
    socket.once('close', () => resolve()); // never connected: finish() gives `unavailable`
  });
  socket.write('zINSTREAM\0'); // queued until connected, ahead of the stream
  return Object.assign(scan, { connecting });
}
