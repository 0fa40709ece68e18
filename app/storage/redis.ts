import { Redis } from 'ioredis';
import type { Config } from '../../config/load.ts';
import { describeError, type Logger } from '../log.ts';

// The one Redis connection of a process (issue 12: the visitor limits; later the Socket.IO adapter).
// Redis is optional: when it is not configured or cannot be reached, the limits are counted in this
// process's memory. That is said once per outage in the log, never per command.

export type RedisState = 'up' | 'down' | 'not_configured';

export interface RedisConnection {
  /** Null when PARLEY_REDIS_URL is empty. */
  client: Redis | null;
  state(): RedisState;
  /** Resolves once connected, or after `ms` (then the limits start in memory); never rejects. */
  ready(ms: number): Promise<void>;
  /** For /readyz: a PING within the command timeout. */
  health(): Promise<{ state: RedisState; ms?: number }>;
  close(): Promise<void>;
}

export function connectRedis(config: Config, log: Logger, name = 'parley-app'): RedisConnection {
  const env = config.env;
  if (env.PARLEY_REDIS_URL === '') {
    log.warn('PARLEY_REDIS_URL is not set: visitor limits are counted in this process only');
    return {
      client: null,
      state: () => 'not_configured',
      ready: () => Promise.resolve(),
      health: () => Promise.resolve({ state: 'not_configured' }),
      close: () => Promise.resolve(),
    };
  }
  const client = new Redis(env.PARLEY_REDIS_URL, {
    password: config.redisPassword ?? undefined,
    connectionName: name,
    // A command must never wait for a connection that is down: it fails at once, and the limits
    // fall back to memory (rate-limiter-flexible's insurance limiter).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: env.PARLEY_REDIS_TIMEOUT_MS,
    connectTimeout: Math.max(1000, env.PARLEY_REDIS_TIMEOUT_MS * 4),
    retryStrategy: (times) => Math.min(times * 250, 5000),
    // Commands issued in the same tick (the address and the visitor of one attempt) go as one write.
    enableAutoPipelining: true,
  });
  let up = false;
  let outageLogged = false;
  let closing = false;
  const where = redactedUrl(env.PARLEY_REDIS_URL);
  client.on('ready', () => {
    up = true;
    outageLogged = false;
    log.info({ redis: where }, 'redis connected: visitor limits are shared by every app process');
  });
  // ioredis reports every failed reconnect: one line per outage is enough.
  const down = (error?: unknown) => {
    up = false;
    if (outageLogged || closing) return;
    outageLogged = true;
    log.warn(
      { redis: where, err: error === undefined ? undefined : describeError(error) },
      'redis unreachable: visitor limits are counted in this process only until it is back',
    );
  };
  client.on('error', down);
  client.on('close', () => {
    if (up) down();
  });
  return {
    client,
    state: () => (up && client.status === 'ready' ? 'up' : 'down'),
    ready: (ms) =>
      new Promise<void>((resolve) => {
        if (client.status === 'ready') return resolve();
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          client.off('ready', done);
          resolve();
        }
        client.once('ready', done);
      }),
    async health() {
      if (client.status !== 'ready') return { state: 'down' };
      const started = performance.now();
      try {
        await client.ping();
        return { state: 'up', ms: Math.round(performance.now() - started) };
      } catch {
        return { state: 'down' };
      }
    },
    async close() {
      closing = true;
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}

/** The URL without anything but host, port and database, for the log. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'redis';
  }
}
