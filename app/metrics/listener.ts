import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Env } from '../../config/schema.ts';
import { ParleyError, errors } from '../domain/errors.ts';
import { describeError, type Logger } from '../log.ts';
import type { ParleyMetrics } from './registry.ts';

// The Prometheus endpoint (issue 15): a listener of its own (PARLEY_METRICS_HOST:PORT, a
// management address, never the public one), HTTPS with the app's certificate so the token never
// crosses the wire in clear, and every request must carry the token. GET /metrics only.

export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

const MIN_TOKEN_CHARS = 16;

/** The token from PARLEY_METRICS_TOKEN_FILE; stops the start with a line naming the variable. */
export function readMetricsToken(env: Env): string {
  const path = env.PARLEY_METRICS_TOKEN_FILE;
  if (!path)
    throw new Error('PARLEY_METRICS_TOKEN_FILE: is required when PARLEY_METRICS_PORT is set');
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`PARLEY_METRICS_TOKEN_FILE: cannot read ${path} (${code})`, { cause: error });
  }
  if (token.length < MIN_TOKEN_CHARS)
    throw new Error(
      `PARLEY_METRICS_TOKEN_FILE: the token must be at least ${MIN_TOKEN_CHARS} characters`,
    );
  return token;
}

/** No token, or not the one in PARLEY_METRICS_TOKEN_FILE. */
const tokenInvalid = () =>
  new ParleyError(
    'metrics_token_invalid',
    401,
    'Send the metrics token (PARLEY_METRICS_TOKEN_FILE) as `Authorization: Bearer <token>`.',
  );

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Compares digests, so neither the token's bytes nor its length show in the time taken. */
function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return timingSafeEqual(digest(match?.[1] ?? ''), expected) && match !== null;
}

function answerError(res: ServerResponse, error: ParleyError): void {
  const body = JSON.stringify({
    error: { id: error.id, message: error.message },
    requestId: randomUUID(),
  });
  if (error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="parley-metrics"');
  res.writeHead(error.status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(body);
}

export async function startMetricsListener(
  env: Env,
  tls: { cert: Buffer; key: Buffer },
  metrics: ParleyMetrics,
  log: Logger,
): Promise<MetricsListener> {
  const expected = digest(readMetricsToken(env));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!tokenMatches(req.headers.authorization, expected)) return answerError(res, tokenInvalid());
    const path = new URL(req.url ?? '/', 'https://metrics.invalid').pathname;
    if (req.method !== 'GET' || path !== '/metrics')
      return answerError(res, errors.notFound('metrics path (GET /metrics)'));
    try {
      await metrics.refresh();
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
      res.end(text);
    } catch (error) {
      log.error({ err: describeError(error) }, 'metrics scrape failed');
      answerError(res, errors.internal());
    }
  }
  const server = createServer(
    { ...tls, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', handshakeTimeout: 10_000 },
    (req, res) => void handle(req, res),
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PARLEY_METRICS_PORT, env.PARLEY_METRICS_HOST, () =>
      resolve((server.address() as AddressInfo).port),
    );
  });
  log.info({ metricsPort: port, host: env.PARLEY_METRICS_HOST }, 'metrics listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
