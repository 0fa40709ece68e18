// What every bench server shares: a real Parley on an ephemeral port, against a fresh database of
// its own, with agents signed up and the ready line printed for the bench that started it.
import { createLogger } from '../../app/log.ts';
import { startParley } from '../../app/server.ts';
import { openDb, type Db } from '../../app/storage/db.ts';
import { testConfig } from '../harness/config.ts';
import { recreateDatabase } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { announceReady } from './child.ts';
import { liftedLimits } from './limits.ts';

export interface BenchAgent {
  email: string;
  password: string;
}

/** The bench's configuration, on `database`; pino writes to stdout, which the bench forwards. */
export function benchConfig(database: string, extra: Record<string, string> = {}) {
  return testConfig({
    ...liftedLimits,
    PARLEY_DB_NAME: database,
    PARLEY_HTTPS_PORT: '0',
    PARLEY_HTTP_REDIRECT: 'false',
    PARLEY_LOG_LEVEL: 'warn',
    ...extra,
  });
}

/** A fresh, migrated database for this bench. */
export async function freshBenchDb(config: ReturnType<typeof benchConfig>): Promise<Db> {
  await recreateDatabase(config.env.PARLEY_DB_NAME);
  const db = openDb(config);
  await db.migrate.latest();
  return db;
}

/** `count` agents named by `label`, each passed to `then` (e.g. to put them online). */
export async function benchAgents(
  db: Db,
  count: number,
  label: string,
  then: (agentId: number) => Promise<unknown> = () => Promise.resolve(),
): Promise<BenchAgent[]> {
  const agents: BenchAgent[] = [];
  for (let i = 1; i <= count; i += 1) {
    const password = `${label} password ${i}`;
    const { agent } = await createAgent(db, {
      email: `${label}${i}@example.test`,
      name: `${label} ${i}`,
      password,
    });
    await then(agent.id);
    agents.push({ email: agent.email, password });
  }
  return agents;
}

/** Starts Parley and tells the bench it is ready; stops when the bench says so. */
export async function serveBench(
  config: ReturnType<typeof benchConfig>,
  db: Db,
  agents: BenchAgent[],
): Promise<void> {
  const parley = await startParley(config, createLogger(config.env.PARLEY_LOG_LEVEL), db);
  announceReady({ port: parley.httpsPort, origin: config.publicOrigin, agents }, () =>
    parley.close(),
  );
}
