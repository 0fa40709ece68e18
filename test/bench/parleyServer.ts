// The server under test: a real Parley on an ephemeral port against a fresh `parley_bench` database.
// Started by run.ts in its own process: `node test/bench/parleyServer.ts <agents>`.
import { benchAgents, benchConfig, freshBenchDb, serveBench } from './benchServer.ts';

const agentCount = Number(process.argv[2] ?? '10');
const config = benchConfig('parley_bench');
const db = await freshBenchDb(config);
await serveBench(config, db, await benchAgents(db, agentCount, 'bench'));
