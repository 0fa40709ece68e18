// The server under test: a real Parley on an ephemeral port against a fresh `parley_bench` database.
// Started by run.ts in its own process: `node test/bench/parleyServer.ts <agents>`.
import { createLogger } from '../../app/log.ts';
import { startParley } from '../../app/server.ts';
import { openDb } from '../../app/storage/db.ts';
import { testConfig } from '../harness/config.ts';
import { recreateDatabase } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { announceReady } from './child.ts';
import { liftedLimits } from './limits.ts';

const BENCH_DB = 'parley_bench';

const agentCount = Number(process.argv[2] ?? '10');
const config = testConfig({
  ...liftedLimits,
  PARLEY_DB_NAME: BENCH_DB,
  PARLEY_HTTPS_PORT: '0',
  PARLEY_HTTP_REDIRECT: 'false',
  // pino writes to stdout; run.ts forwards any line that is not the ready line to stderr.
  PARLEY_LOG_LEVEL: 'warn',
});

await recreateDatabase(BENCH_DB);
const db = openDb(config);
await db.migrate.latest();
const agents: { email: string; password: string }[] = [];
for (let i = 1; i <= agentCount; i += 1) {
  const password = `bench agent password ${i}`;
  const { agent } = await createAgent(db, {
    email: `bench${i}@example.test`,
    name: `Bench ${i}`,
    password,
  });
  agents.push({ email: agent.email, password });
}
const parley = await startParley(config, createLogger(config.env.PARLEY_LOG_LEVEL), db);
announceReady({ port: parley.httpsPort, origin: config.publicOrigin, agents }, () =>
  parley.close(),
);
