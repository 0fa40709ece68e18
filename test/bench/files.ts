// File bench (issue 5): upload-to-available latency through Parley for 1 MiB and 25 MiB files,
// against `clamdscan --stream` of a file of the same size alone, and Parley's RSS growth during a
// 25 MiB upload. Every measurement uses fresh random bytes (clamd caches clean results by hash).
// Parley's figure runs from the first byte sent to the moment the file is available: the upload
// answered 201 and the message sharing it arrived on the chat's socket.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { io } from 'socket.io-client';
import type { Ack, ChatView, MessageView } from '../../app/shared/protocol.ts';
import { devEnv } from '../harness/config.ts';
import { startServer } from './child.ts';

const MiB = 1024 * 1024;
const PIECE_BYTES = 64 * 1024;
const SIZES = [
  { label: '1 MiB', bytes: MiB, runs: 20 },
  { label: '25 MiB', bytes: 25 * MiB, runs: 8 },
];

export interface FileBenchRow {
  size: string;
  runs: number;
  parleyMedianMs: number;
  parleyMinMs: number;
  clamdscanMedianMs: number;
  clamdscanMinMs: number;
  ratio: number;
  /** Every run, in order (each Parley upload was followed by its clamdscan). */
  parleyRunsMs: number[];
  clamdscanRunsMs: number[];
}

export interface FileBenchResult {
  rows: FileBenchRow[];
  /**
   * Per 25 MiB upload: RSS before and its peak during. Garbage (each chunk's buffers) is collected
   * when V8 decides, so single peaks vary; a leak or a buffered file would show as a baseline that
   * climbs by the file's size from one upload to the next.
   */
  memory: {
    fileMiB: number;
    uploads: { baselineRssMiB: number; peakRssMiB: number; growthMiB: number }[];
    medianGrowthMiB: number;
    baselineDriftMiB: number;
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (value: number) => Math.round(value * 10) / 10;

/** A unique PDF-looking file (Parley decides the type from the content; random bytes have none). */
const uniquePdf = (bytes: number) =>
  Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(bytes - 9)]);

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

export async function fileBench(): Promise<FileBenchResult> {
  const server = await startServer('parley-files', 'filesServer.ts');
  const ca = readFileSync(devEnv().PARLEY_TLS_CERT_FILE!.replace(/server\.crt$/, 'ca.crt'));
  const base = `https://127.0.0.1:${server.ready.port}`;
  const scratch = mkdtempSync(join(tmpdir(), 'parley-bench-clamdscan-'));
  const clamdConf = join(scratch, 'clamdscan.conf');
  writeFileSync(
    clamdConf,
    `TCPSocket ${devEnv().PARLEY_CLAMD_PORT}\nTCPAddr ${devEnv().PARLEY_CLAMD_HOST}\n`,
  );

  // One kept-alive connection, as a browser's widget keeps: the TLS handshake is not per upload.
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
  const call = (method: string, path: string, headers: Record<string, string>, body?: Buffer) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${base}${path}`, { method, agent, headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }),
        );
      });
      req.on('error', reject);
      void send(req, body).catch(reject);
    });

  /**
   * Writes the body in pieces, as a browser streams an upload: TLS encrypts each piece as it goes
   * out (one `end(25 MiB)` would encrypt all of it before the first byte left).
   */
  const send = async (req: ClientRequest, body?: Buffer) => {
    for (let offset = 0; body && offset < body.length; offset += PIECE_BYTES) {
      if (!req.write(body.subarray(offset, offset + PIECE_BYTES)))
        await new Promise((resolve) => req.once('drain', resolve));
    }
    req.end();
  };

  try {
    const { token } = JSON.parse(
      (
        await call(
          'POST',
          '/api/visitor/token',
          { 'Content-Type': 'application/json' },
          Buffer.from('{}'),
        )
      ).text,
    ) as { token: string };
    const socket = io(`${base}/visitor`, {
      ca: ca.toString(),
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
    });
    const started = (await socket.emitWithAck('chat:start', { name: 'Bench' })) as Ack<{
      chat: ChatView;
    }>;
    if (!started.ok) throw new Error(`chat:start: ${started.error.id}`);
    const chatId = started.chat.id;

    // Available = the upload answered 201 and the chat's message sharing the file has arrived on
    // the socket (the agent gets it at the same moment), whichever comes last.
    let sent = 0;
    const shared = new Map<string, () => void>();
    socket.on('message:new', (message: MessageView) => {
      if (message.file) shared.get(message.clientId)?.();
    });
    const upload = async (data: Buffer) => {
      const clientId = `bench-${(sent += 1)}`;
      const visible = new Promise<void>((resolve) => shared.set(clientId, resolve));
      const begin = performance.now();
      const res = await call(
        'POST',
        `/api/visitor/chats/${chatId}/files`,
        {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(data.length),
          'X-Parley-File-Name': 'bench.pdf',
          'X-Parley-Client-Id': clientId,
        },
        data,
      );
      if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${res.text}`);
      await visible;
      shared.delete(clientId);
      return performance.now() - begin;
    };
    const clamdscan = (data: Buffer) => {
      const path = join(scratch, 'sample.pdf');
      writeFileSync(path, data);
      const begin = performance.now();
      execFileSync('clamdscan', ['--config-file', clamdConf, '--stream', '--no-summary', path], {
        stdio: 'ignore',
      });
      return performance.now() - begin;
    };

    await upload(uniquePdf(MiB)); // warm-up: connections, JIT
    clamdscan(uniquePdf(MiB));

    const rows: FileBenchRow[] = [];
    for (const size of SIZES) {
      const parley: number[] = [];
      const alone: number[] = [];
      for (let run = 0; run < size.runs; run += 1) {
        parley.push(await upload(uniquePdf(size.bytes)));
        alone.push(clamdscan(uniquePdf(size.bytes)));
      }
      rows.push({
        size: size.label,
        runs: size.runs,
        parleyMedianMs: round(median(parley)),
        parleyMinMs: round(Math.min(...parley)),
        clamdscanMedianMs: round(median(alone)),
        clamdscanMinMs: round(Math.min(...alone)),
        ratio: Math.round((median(parley) / median(alone)) * 100) / 100,
        parleyRunsMs: parley.map(round),
        clamdscanRunsMs: alone.map(round),
      });
    }

    // Memory: Parley's RSS before and during five more 25 MiB uploads (sampled every 10 ms).
    const uploads: FileBenchResult['memory']['uploads'] = [];
    for (let run = 0; run < 5; run += 1) {
      const data = uniquePdf(25 * MiB);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const baseline = rssMiB(server.pid);
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(server.pid))), 10);
      await upload(data);
      clearInterval(sampler);
      peak = Math.max(peak, rssMiB(server.pid));
      uploads.push({
        baselineRssMiB: round(baseline),
        peakRssMiB: round(peak),
        growthMiB: round(peak - baseline),
      });
    }
    socket.disconnect();
    return {
      rows,
      memory: {
        fileMiB: 25,
        uploads,
        medianGrowthMiB: round(median(uploads.map((u) => u.growthMiB))),
        baselineDriftMiB: round(uploads.at(-1)!.baselineRssMiB - uploads[0]!.baselineRssMiB),
      },
    };
  } finally {
    agent.destroy();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function renderFileBench(result: FileBenchResult): string {
  const lines = [
    'File uploads (upload-to-available, visitor → Parley → clamd → encrypted store):',
    'size     runs  parley p50 ms  (min)   clamdscan --stream p50 ms  (min)   ratio (goal ≤ 1.2)',
  ];
  for (const row of result.rows) {
    lines.push(
      `${row.size.padEnd(8)} ${String(row.runs).padStart(4)}  ${String(row.parleyMedianMs).padStart(13)}  (${row.parleyMinMs})`.padEnd(
        40,
      ) +
        `${String(row.clamdscanMedianMs).padStart(25)}  (${row.clamdscanMinMs})`.padEnd(36) +
        `${row.ratio}×`,
    );
  }
  const m = result.memory;
  const growths = m.uploads.map((u) => u.growthMiB).join(', ');
  lines.push(
    `Parley RSS growth during ${m.uploads.length} uploads of ${m.fileMiB} MiB: +${growths} MiB (median +${m.medianGrowthMiB}); baseline ${m.uploads[0]!.baselineRssMiB} → ${m.uploads.at(-1)!.baselineRssMiB} MiB (drift ${m.baselineDriftMiB})`,
  );
  return lines.join('\n');
}

// `node test/bench/files.ts` runs the file bench alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  fileBench().then(
    (result) => {
      process.stdout.write(`${renderFileBench(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(
        `file bench: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
