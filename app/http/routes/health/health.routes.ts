import { signatureAgeDays } from '../../../domain/monitoring/readings.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';

/**
 * /healthz: the process lives. /readyz: the database and clamd answer and this site is the primary
 * (503 otherwise, with the role: a standby says `standby`); Redis is reported.
 */
export function healthRoutes(routes: Routes, services: Services) {
  routes.get('/healthz', 'public', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  routes.get('/readyz', 'public', async (ctx) => {
    const [database, clamd, redis] = await Promise.all([
      services.db
        .raw('SELECT 1')
        .then(() => ({ up: true }))
        .catch(() => ({ up: false })),
      services.clamd.status(),
      services.redis.health(),
    ]);
    // Redis down does not make Parley unready: the visitor limits then count in this process's
    // memory (issue 12), and pulling every node out of a load balancer would stop all chats.
    // A standby is healthy but not ready: a load balancer sends it nothing until it is promoted.
    const role = database.up ? await services.siteRole.refresh() : services.siteRole.role();
    const ready = database.up && clamd.up && role === 'primary';
    ctx.status = ready ? 200 : 503;
    ctx.body = {
      status: ready ? 'ready' : role === 'standby' ? 'standby' : 'not_ready',
      role,
      checks: {
        database,
        clamd: { ...clamd, signatureAgeDays: wholeDays(clamd.signaturesDate) },
        redis: { ...redis, limits: redis.state === 'up' ? 'shared' : 'process' },
      },
    };
  });
}

/** The signatures' age in whole days (the monitoring reading keeps the fraction). */
function wholeDays(date: string | undefined): number | null {
  const days = signatureAgeDays(date, Date.now());
  return days === null ? null : Math.floor(days);
}
