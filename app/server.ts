import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Config } from '../config/load.ts';
import { openAuditLog } from './domain/audit/openAuditLog.ts';
import { agentSessions } from './domain/agentSessions.ts';
import { refuseSignInFrom } from './domain/ipRules/enforce.ts';
import { signinServices } from './domain/signin/index.ts';
import { chatService } from './domain/chats/chats.ts';
import { chatActions } from './domain/chatActions/chatActions.ts';
import { messageWriter } from './storage/messageWriter.ts';
import { takeReadings } from './domain/monitoring/readings.ts';
import { parleyMetrics } from './metrics/registry.ts';
import { startMetricsListener, type MetricsListener } from './metrics/listener.ts';
import { fileService } from './domain/files/files.ts';
import { ipRulesService } from './domain/ipRules/ipRules.ts';
import { passwordHasher } from './domain/passwords.ts';
import { visitorTokens } from './domain/visitorTokens.ts';
import { createHttpApp } from './http/app.ts';
import { trustedProxies } from './domain/clientAddress.ts';
import { admittingListener } from './http/peerAdmission.ts';
import type { Services } from './services.ts';
import { describeError, type Logger } from './log.ts';
import { clamdClient } from './storage/clamd.ts';
import { BURST_WINDOWS, namedRules, policyFromEnv } from './domain/rateLimits/limits.ts';
import { rateLimits } from './domain/rateLimits/rateLimits.ts';
import { limitCounter } from './storage/rateLimiters.ts';
import { connectRedis } from './storage/redis.ts';
import { refusalStore } from './storage/refusalCounts.ts';
import { openDb, type Db } from './storage/db.ts';
import { routingDelivery, socketDelivery } from './socket/delivery.ts';
import { routingService } from './domain/routing/routing.ts';
import { routingRules } from './domain/routing/rules.ts';
import { presenceDelivery, withBoardHints } from './socket/presenceDelivery.ts';
import { availabilityService } from './domain/availability/availability.ts';
import { siteRoleWatch } from './domain/siteRole.ts';
import { primaryDuties } from './primaryDuties.ts';
import { isReadOnly } from './storage/replication.ts';
import {
  attachSocketHandlers,
  createSocketServer,
  disconnectAgent,
  disconnectSession,
  type SocketServer,
} from './socket/server.ts';

export interface RunningParley {
  services: Services;
  sockets: SocketServer;
  httpsPort: number;
  httpPort: number | null;
  /** The Prometheus endpoint's port; null when PARLEY_METRICS_PORT is 0 (issue 15). */
  metricsPort: number | null;
  close(): Promise<void>;
}

export function buildServices(config: Config, log: Logger, db: Db = openDb(config)) {
  const env = config.env;
  const sockets = createSocketServer(config.publicOrigin, env.PARLEY_WIDGET_ORIGINS);
  const hasher = passwordHasher({
    memoryCost: env.PARLEY_ARGON2_MEMORY_KIB,
    timeCost: env.PARLEY_ARGON2_ITERATIONS,
    parallelism: env.PARLEY_ARGON2_PARALLELISM,
  });
  const audit = openAuditLog(config, db, log);
  const sessions = agentSessions(db, hasher, {
    idleMinutes: env.PARLEY_SESSION_IDLE_MINUTES,
    absoluteHours: env.PARLEY_SESSION_ABSOLUTE_HOURS,
  });
  const delivery = withBoardHints(socketDelivery(sockets.visitors, sockets.agents), sockets.agents);
  // Issue 15: Parley's own metrics registry, only when the endpoint is on; readings at scrape time.
  const metrics =
    env.PARLEY_METRICS_PORT > 0
      ? parleyMetrics(
          () =>
            takeReadings({
              store: db,
              clamd: services.clamd,
              backupDir: env.PARLEY_BACKUP_DIR,
              filesDir: env.PARLEY_FILES_DIR,
            }),
          env.PARLEY_METRICS_CACHE_SECONDS * 1000,
        )
      : null;
  // One group commit for messages, notes and whispers; each commit counted for the metrics.
  const writer = messageWriter(db, metrics?.committed);
  const routing = routingService(db, routingDelivery(sockets.agents), audit, log);
  const chats = chatService(db, delivery, writer, audit, routing, log);
  routing.onQueueChange(chats.publishQueue);
  const redis = connectRedis(config, log);
  const policy = policyFromEnv(env);
  const prefix = env.PARLEY_REDIS_KEY_PREFIX;
  const services: Services = {
    config,
    db,
    log,
    sessions,
    ...signinServices({
      config,
      db,
      sessions,
      audit,
      checkAddress: (attempt) => refuseSignInFrom({ ipRules: services.ipRules, audit }, attempt),
    }),
    visitorTokens: visitorTokens(config.secretKey, env.PARLEY_VISITOR_TOKEN_DAYS),
    chats,
    chatActions: chatActions({ db, chats, events: delivery, writer, audit, route: routing.route }),
    routing,
    routingRules: routingRules(db, audit, () => void routing.route()),
    files: fileService({ config, db, audit, chats, log }),
    audit,
    ipRules: ipRulesService(db, audit),
    clamd: clamdClient(env.PARLEY_CLAMD_HOST, env.PARLEY_CLAMD_PORT, env.PARLEY_CLAMD_TIMEOUT_MS),
    disconnectAgentSession: (sessionHash, reason) =>
      disconnectSession(sockets, sessionHash, reason),
    passwords: hasher,
    disconnectAgent(agentId, reason, ended) {
      disconnectAgent(sockets, agentId, reason, ended);
      // Every session over (deactivated, password reset): offline now, not after the grace.
      if (ended)
        services.availability.sessionsEnded(agentId).catch((error: unknown) => {
          log.error({ err: describeError(error) }, 'availability at session end failed');
        });
    },
    rateLimits: rateLimits({
      policy,
      counter: limitCounter(namedRules(policy), BURST_WINDOWS, redis.client, prefix),
      refusals: refusalStore(redis.client, prefix),
      secretKey: config.secretKey,
      log,
      redis: () => redis.state(),
    }),
    redis,
    availability: availabilityService(db, audit, presenceDelivery(sockets.agents), {
      graceSeconds: env.PARLEY_PRESENCE_GRACE_SECONDS,
      sweepMs: env.PARLEY_PRESENCE_SWEEP_MS,
      processId: randomBytes(8).toString('hex'),
      log,
    }),
    siteRole: siteRoleWatch(() => isReadOnly(db), {
      intervalMs: env.PARLEY_SITE_ROLE_POLL_MS,
      log,
    }),
  };
  return { services, sockets, hasher, metrics };
}

function requireTls(config: Config): { cert: Buffer; key: Buffer } {
  if (!config.tls) throw new Error('the app needs PARLEY_TLS_CERT_FILE and PARLEY_TLS_KEY_FILE');
  return config.tls;
}

const listen = (server: NetServer, port: number, host: string) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });

/** Starts HTTPS (console, API, widget, Socket.IO) and the plain-HTTP port that only redirects. */
export async function startParley(config: Config, log: Logger, db?: Db): Promise<RunningParley> {
  const env = config.env;
  const { services, sockets, metrics } = buildServices(config, log, db);
  // First, so that a missing or short token stops the start before any public port opens.
  const metricsListener: MetricsListener | null = metrics
    ? await startMetricsListener(env, requireTls(config), metrics, log)
    : null;
  await services.siteRole.start(); // a standby's app refuses chats from its first connection
  // Counted in Redis from the first request, when it answers in time (issue 12).
  await services.redis.ready(Math.max(2000, env.PARLEY_REDIS_TIMEOUT_MS * 2));
  const handler = createHttpApp(services).callback();
  const https = createHttpsServer(
    // A client that never finishes its TLS handshake holds its slot for 10 s, not Node's 120 s.
    {
      ...requireTls(config),
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      handshakeTimeout: 10_000,
    },
    (req, res) => void handler(req, res),
  );
  attachSocketHandlers(sockets, services, https);
  // TCP is accepted here and handed to HTTPS a few handshakes at a time per address (issue 12).
  const tcp = admittingListener(
    https,
    env.PARLEY_RATE_HANDSHAKES_PER_ADDRESS,
    trustedProxies(env.PARLEY_TRUSTED_PROXIES),
  );
  const httpsPort = await listen(tcp, env.PARLEY_HTTPS_PORT, env.PARLEY_HTTPS_HOST);
  https.emit('listening'); // HTTP's connection tracking and request timeouts start on 'listening'

  let redirect: HttpServer | null = null;
  let httpPort: number | null = null;
  if (env.PARLEY_HTTP_REDIRECT) {
    redirect = createHttpServer((req, res) => {
      const target = new URL(req.url ?? '/', config.publicOrigin);
      res.writeHead(308, { Location: target.toString(), 'Content-Type': 'text/plain' });
      res.end('Parley is served over HTTPS.\n');
    });
    httpPort = await listen(redirect, env.PARLEY_HTTP_PORT, env.PARLEY_HTTPS_HOST);
  }
  log.info({ httpsPort, httpPort, publicUrl: env.PARLEY_PUBLIC_URL }, 'parley listening');
  const duties = primaryDuties(services, sockets);
  return {
    services,
    sockets,
    httpsPort,
    httpPort,
    metricsPort: metricsListener?.port ?? null,
    async close() {
      await duties.stop();
      tcp.close();
      await sockets.io.close(); // also closes the HTTPS server
      https.closeAllConnections();
      if (redirect) await new Promise((resolve) => redirect.close(resolve));
      await metricsListener?.close();
      await services.audit.close();
      await services.rateLimits.flush().catch(() => undefined);
      await services.redis.close();
      await services.db.destroy();
    },
  };
}
