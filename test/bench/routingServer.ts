// The routing bench's server (issue 14): a real Parley on a fresh `parley_bench_routing` database
// with 200 online agents and 2,000 chats waiting in a manual department. Started by routing.ts in
// its own process: `node test/bench/routingServer.ts <agents> <waiting>`.
import { randomUUID } from 'node:crypto';
import { routingRulesRepo } from '../../app/storage/routingRules.ts';
import { benchAgents, benchConfig, freshBenchDb, serveBench } from './benchServer.ts';

const agentCount = Number(process.argv[2] ?? '200');
const waitingCount = Number(process.argv[3] ?? '2000');
// Every agent signs in from one address within seconds.
const config = benchConfig('parley_bench_routing', { PARLEY_DB_POOL_MAX: '20' });
const db = await freshBenchDb(config);
const agents = await benchAgents(db, agentCount, 'router', (agentId) =>
  db('agent_presence').insert({ agent_id: agentId, status: 'online' }),
);
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
await serveBench(config, db, agents);
