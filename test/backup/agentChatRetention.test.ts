import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../app/domain/audit/auditLog.ts';
import type { Db } from '../../app/storage/db.ts';
import { runAgentChatRetention } from '../../backup/retention/agentChatRetention.ts';
import { workerJobs } from '../../backup/worker/jobs.ts';
import { testConfig } from '../harness/config.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';

// Agent-to-agent messages follow data retention (issue 14): PARLEY_RETENTION_DAYS, or a department
// room's own retention_days; 0 keeps them forever. They go by age, one message at a time.

let db: Db;
const now = new Date();
const daysAgo = (n: number) => new Date(now.getTime() - n * 86400_000);

beforeAll(() => {
  db = testDb();
});
afterAll(() => db.destroy());
beforeEach(() => truncateAll(db));

async function conversationWithMessages(
  row: Record<string, unknown>,
  author: number,
  ages: number[],
): Promise<number> {
  const [id] = await db('agent_conversations').insert({ ...row, last_seq: ages.length });
  for (const [i, age] of ages.entries()) {
    await db('agent_messages').insert({
      conversation_id: id,
      seq: i + 1,
      client_id: `c${id}-${i}`,
      author_agent_id: author,
      body: `day -${age}`,
      created_at: daysAgo(age),
    });
  }
  return Number(id);
}

async function fixture() {
  const a = (await createAgent(db)).agent;
  const b = (await createAgent(db)).agent;
  const [short] = await db('departments').insert({ name: 'Short', retention_days: 10 });
  const [plain] = await db('departments').insert({ name: 'Plain' });
  const pair = await conversationWithMessages(
    { kind: 'direct', agent_low: Math.min(a.id, b.id), agent_high: Math.max(a.id, b.id) },
    a.id,
    [400, 100, 40, 5],
  );
  const shortRoom = await conversationWithMessages(
    { kind: 'department', department_id: short },
    b.id,
    [100, 20, 5],
  );
  const plainRoom = await conversationWithMessages(
    { kind: 'department', department_id: plain },
    b.id,
    [100, 5],
  );
  return { pair, shortRoom, plainRoom };
}

const bodies = async (conversationId: number) =>
  db('agent_messages').where({ conversation_id: conversationId }).orderBy('seq').pluck('body');

describe('agent chat retention', () => {
  it('deletes the messages older than the global days or their department room’s own, in batches', async () => {
    const { pair, shortRoom, plainRoom } = await fixture();
    const deleted = await runAgentChatRetention(db, { days: 30, batch: 2, now: () => now });
    expect(deleted).toBe(6);
    expect(await bodies(pair)).toEqual(['day -5']);
    expect(await bodies(shortRoom)).toEqual(['day -5']);
    expect(await bodies(plainRoom)).toEqual(['day -5']);
    // The conversations stay, and their counters go on.
    expect(await db('agent_conversations').count({ n: '*' })).toEqual([{ n: 3 }]);
    expect(await runAgentChatRetention(db, { days: 30, batch: 2, now: () => now })).toBe(0);
  });

  it('keeps direct messages forever at 0 days; a department room with its own days still expires', async () => {
    const { pair, shortRoom, plainRoom } = await fixture();
    expect(await runAgentChatRetention(db, { days: 0, batch: 100, now: () => now })).toBe(2);
    expect(await bodies(pair)).toHaveLength(4);
    expect(await bodies(plainRoom)).toHaveLength(2);
    expect(await bodies(shortRoom)).toEqual(['day -5']);
  });

  it('runs in the worker’s data-retention job, which records the count in its audit entry', async () => {
    const { pair } = await fixture();
    const jobs = await workerJobs({
      config: testConfig({ PARLEY_RETENTION_DAYS: '30' }),
      db,
      audit: auditLog(db),
    });
    const job = jobs.find((j) => j.name === 'data-retention')!;
    const result = await job.run();
    expect(result).toMatchObject({ agentMessages: 6 });
    expect(await bodies(pair)).toEqual(['day -5']);
    const entry = await db('audit_events').where({ action: 'retention.run' }).first();
    expect(JSON.stringify(entry.details)).toContain('"agentMessages":6');
  });
});
