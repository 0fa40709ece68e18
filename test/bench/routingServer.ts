// The routing bench's server (issue 14): a real Parley on a fresh `parley_bench_routing` database
// with 200 online agents and 2,000 chats waiting in a manual department. Started by routing.ts in
// its own process: `node test/bench/routingServer.ts <agents> <waiting>`.
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../app/log.ts';
import { startParley } from '../../app/server.ts';
import { openDb } from '../../app/storage/db.ts';
import { routingRulesRepo } from '../../app/storage/routingRules.ts';
import { testConfig } from '../harness/config.ts';
import { recreateDatabase } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { announceReady } from './child.ts';
import { liftedLimits } from './limits.ts';

const BENCH_DB = 'parley_bench_routing';
const agentCount = Number(process.argv[2] ?? '200');
const waitingCount = Number(process.argv[3] ?? '2000');
const config = testConfig({
  ...liftedLimits,
  PARLEY_DB_NAME: BENCH_DB,
  PARLEY_HTTPS_PORT: '0',
  PARLEY_HTTP_REDIRECT: 'false',
  PARLEY_LOG_LEVEL: 'warn',
  // Every agent signs in from one address within seconds.
  PARLEY_DB_POOL_MAX: '20',
});

await recreateDatabase(BENCH_DB);
const db = openDb(config);
await db.migrate.latest();
const agents: { email: string; password: string }[] = [];
for (let i = 1; i <= agentCount; i += 1) {
  const password = `routing bench password ${i}`;
  const { agent } = await createAgent(db, {
    email: `router${i}@example.test`,
    name: `R ${i}`,
    password,
  });
  agents.push({ email: agent.email, password });
  await db('agent_presence').insert({ agent_id: agent.id, status: 'online' });
}
// The backlog: chats waiting for an agent to pick them by hand, in a department routed manually.
const [backlog] = await db('departments').insert({ name: 'Backlog', description: 'manual queue' });
await routingRulesRepo(db).upsert(
  Number(backlog),
  { mode: 'manual', offer_timeout_seconds: 60, max_refusals: 3, default_capacity: null },
  1,
);
for (let start = 0; start < waitingCount; start += 500) {
  const ids = Array.from({ length: Math.min(500, waitingCount - start) }, () => randomUUID());
  await db('visitors').insert(ids.map((id) => ({ id })));
  await db('chats').insert(
    ids.map((id, i) => ({
      visitor_id: id,
      visitor_name: `Waiting ${start + i}`,
      department_id: Number(backlog),
    })),
  );
}
// Chats with no department are routed round robin to every online agent, 5 at a time each.
await routingRulesRepo(db).upsert(
  0,
  { mode: 'round_robin', offer_timeout_seconds: 60, max_refusals: 3, default_capacity: 5 },
  1,
);
const parley = await startParley(config, createLogger(config.env.PARLEY_LOG_LEVEL), db);
announceReady({ port: parley.httpsPort, origin: config.publicOrigin, agents }, () =>
  parley.close(),
);
