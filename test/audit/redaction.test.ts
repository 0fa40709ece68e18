import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../app/domain/audit/auditLog.ts';
import { GENESIS, canonicalDetails, hashOf, type AuditRow } from '../../app/domain/audit/chain.ts';
import { REDACTION_ACTION, redactCardNumbers } from '../../app/domain/masking/redaction.ts';
import { openDb, type Db } from '../../app/storage/db.ts';
import { devEnv, repoRoot, TEST_DB, testConfig } from '../harness/config.ts';
import { legacyDb, recreateDatabase, serverConnection } from '../harness/db.ts';
import { containing, dumpDatabase } from '../pci/helpers.ts';
import { udpSyslogCollector } from './syslogCollector.ts';

// Issue 12, existing installs: card numbers an older Parley stored (audit entries included) are
// masked by a migration at update time, the chain is re-hashed and stays verifiable, and the
// redaction is itself an audit entry that `make audit-verify` reports.

const SCRATCH = `${TEST_DB}_redaction`;
const VISA = '4111111111111111';
const MC = '5555 5555 5555 4444';
let db: Db; // with the storage boundary, as today's code runs
let legacy: Db; // without it, as an older Parley wrote
let envFile: string;

beforeAll(async () => {
  await recreateDatabase(SCRATCH);
  db = openDb(testConfig({ PARLEY_DB_NAME: SCRATCH }));
  legacy = legacyDb(SCRATCH);
  await db.migrate.latest();
  const dir = mkdtempSync(join(tmpdir(), 'parley-redaction-'));
  envFile = join(dir, 'parley.env');
  const env = { ...devEnv(), PARLEY_DB_NAME: SCRATCH, PARLEY_LOG_LEVEL: 'silent' };
  writeFileSync(
    envFile,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
});
afterAll(async () => {
  await db.destroy();
  await legacy.destroy();
  const server = serverConnection();
  await server.raw(`DROP DATABASE IF EXISTS \`${SCRATCH}\``);
  await server.destroy();
});

const REDACTION_MIGRATION = '20261207120000_redact_card_numbers.ts';

/** Back to the schema before the redaction migration, with no data: an install about to update. */
beforeEach(async () => {
  // Migrations added after the redaction are undone too (names sort by their timestamp).
  for (;;) {
    const last: { name: string } = await legacy('knex_migrations')
      .orderBy('id', 'desc')
      .first('name');
    if (last.name < REDACTION_MIGRATION) break;
    await db.migrate.down();
  }
  const tables = [
    'messages',
    'chats',
    'visitors',
    'ip_rules',
    'permission_grants',
    'agents',
    'audit_events',
  ];
  for (const table of tables) await legacy(table).delete();
  await legacy('roles').where({ builtin: false }).delete();
  await legacy('settings').delete();
  await legacy('audit_chain_head').update({ last_id: 0, last_hash: GENESIS });
});

/** Appends an entry as the old code did: the text hashed as typed, card numbers and all. */
async function legacyEntry(
  fields: Partial<Omit<AuditRow, 'details'>> & { details?: Record<string, unknown> },
) {
  const head = (await legacy('audit_chain_head').where({ id: 1 }).first()) as {
    last_id: number;
    last_hash: Buffer;
  };
  const base: Omit<AuditRow, 'hash'> = {
    id: Number(head.last_id) + 1,
    at: new Date(Date.UTC(2026, 10, 1, 0, 0, Number(head.last_id))),
    actor_kind: 'agent',
    actor_id: null,
    actor_label: 'someone@bank.test',
    ip: '203.0.113.9',
    user_agent: 'Mozilla/5.0',
    action: 'agent.signin',
    target_kind: '',
    target_id: '',
    department_id: null,
    outcome: 'failure',
    prev_hash: head.last_hash,
    ...fields,
    details: canonicalDetails(fields.details ?? { reason: 'bad_password' }),
  };
  const row = { ...base, hash: hashOf(base) };
  await legacy('audit_events').insert(row);
  await legacy('audit_chain_head')
    .where({ id: 1 })
    .update({ last_id: row.id, last_hash: row.hash });
}

async function seedLegacyInstall() {
  await legacyEntry({ actor_label: 'admin@bank.test', outcome: 'success' }); // 1: clean
  await legacyEntry({ actor_label: `x+${VISA}@bank.test` }); // 2: typed email
  await legacyEntry({}); // 3: clean
  await legacyEntry({ user_agent: `Bot ${MC}`, details: { reason: `card ${VISA} cvv 123` } }); // 4
  await legacyEntry({ outcome: 'success', actor_label: 'admin@bank.test' }); // 5: clean
  await legacy('roles').insert({ name: `desk${VISA}`, description: `for ${MC}` });
  const [agentId] = await legacy('agents').insert({
    email: 'a@bank.test',
    name: `Ann ${MC}`,
    role: `desk${VISA}`,
    password_hash: 'x',
  });
  await legacy('permission_grants').insert({
    permission: 'chats.accept',
    role: `desk${VISA}`,
    scope: 'all',
    scope_ids: '[]',
  });
  await legacy('ip_rules').insert({
    scope: 'role',
    role: `desk${VISA}`,
    cidr: '10.0.0.0/8',
    note: `vpn +${VISA}`,
  });
  const visitorId = '8f0e3a40-1c2d-4e5f-9a6b-7c8d9e0f1a2b';
  await legacy('visitors').insert({ id: visitorId, name: `V ${VISA}` });
  const [chatId] = await legacy('chats').insert({
    visitor_id: visitorId,
    agent_id: agentId,
    question: `+${VISA}`,
  });
  await legacy('messages').insert({
    chat_id: chatId,
    seq: 1,
    client_id: `c-${VISA}`,
    author_kind: 'visitor',
    body: `${MC} exp 12/30 123`,
  });
  await legacy('settings').insert({
    key: 'note',
    value: JSON.stringify({ text: VISA }),
    updated_at: new Date(),
  });
}

function auditVerify(): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`--env-file=${envFile}`, 'ops/auditVerify.ts'],
      { cwd: repoRoot, env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? -1) : 0, stdout }),
    );
  });
}

describe('redacting card numbers an older Parley stored (issue 12)', () => {
  it('the update masks them everywhere, re-hashes the chain, records it, and audit-verify passes and says so', async () => {
    await seedLegacyInstall();
    const before: { hash: Buffer }[] = await legacy('audit_events')
      .orderBy('id')
      .select('id', 'hash');
    expect(containing(await dumpDatabase(db), [VISA, MC])).not.toEqual([]);

    await db.migrate.latest(); // the update: the redaction migration runs

    expect(containing(await dumpDatabase(db), [VISA, MC])).toEqual([]);
    const rows: { id: number; hash: Buffer; action: string; actor_label: string }[] = await db(
      'audit_events',
    )
      .orderBy('id')
      .select('id', 'hash', 'action', 'actor_label');
    expect(rows[0]!.hash.equals(before[0]!.hash)).toBe(true); // before the first redacted: unchanged
    expect(rows.slice(1, 5).every((row, i) => !row.hash.equals(before[i + 1]!.hash))).toBe(true);
    expect(rows[1]!.actor_label).toBe('x+411111••••••1111@bank.test');
    const entry = rows[5]!;
    expect(entry).toMatchObject({ id: 6, action: 'audit.redaction' });
    const details: { details: unknown } = await db('audit_events')
      .where({ id: 6 })
      .first('details');
    const text =
      typeof details.details === 'string' ? details.details : JSON.stringify(details.details);
    expect(JSON.parse(text)).toMatchObject({
      auditEntries: { redacted: 2, firstRedacted: 2, lastRedacted: 4, rehashedTo: 5 },
    });
    expect(text).toContain(before[4]!.hash.toString('hex')); // the old head, to reconcile a syslog copy

    // Role references followed the role's new name; the message lost its security code too.
    const role: { name: string } = await db('roles').where({ builtin: false }).first('name');
    expect(role.name).toBe('desk411111••••••1111');
    expect(await db('agents').pluck('role')).toEqual([role.name]);
    expect(await db('ip_rules').pluck('role')).toEqual([role.name]);
    expect(await db('messages').pluck('body')).toEqual(['5555 55•• •••• 4444 exp 12/30 [removed]']);

    const verified = await auditLog(db).verify();
    expect(verified).toMatchObject({ ok: true, checked: 6, redactions: [{ id: 6, redacted: 2 }] });
    const run = await auditVerify();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('audit log intact: 6 entries');
    expect(run.stdout).toMatch(
      /card numbers redacted at entry 6 .*2 entries in 2–4; entries 2–5 re-hashed, 9 other rows masked/,
    );

    // A second run finds nothing and writes nothing; new entries chain on from the redaction.
    expect(await redactCardNumbers(db)).toEqual({ tables: [], audit: null, entryId: null });
    await auditLog(db).record({
      actor: { kind: 'system' },
      action: 'test.after',
      outcome: 'success',
    });
    expect(await auditLog(db).verify()).toMatchObject({ ok: true, checked: 7 });
  });

  it.each(['ops/migrate.ts', 'ops/redactCardNumbers.ts'])(
    'sends the redaction entry to syslog when %s runs it (issue 13)',
    async (command) => {
      await seedLegacyInstall();
      const collector = await udpSyslogCollector();
      try {
        const run = await new Promise<{ code: number; output: string }>((resolve) => {
          execFile(
            process.execPath,
            [`--env-file=${envFile}`, command],
            {
              cwd: repoRoot,
              env: { PATH: process.env.PATH ?? '', PARLEY_AUDIT_SYSLOG: collector.address },
              timeout: 30_000,
            },
            (error, stdout, stderr) =>
              resolve({ code: error ? Number(error.code ?? -1) : 0, output: stdout + stderr }),
          );
        });
        expect(run.code, run.output).toBe(0);
        const entry = await collector.waitFor(REDACTION_ACTION);
        expect(entry.entryId).toBe(6);
        expect(entry.text).toContain('"firstRedacted":2');
      } finally {
        await collector.close();
      }
    },
  );

  it('leaves a chain that does not verify alone, and changes nothing at all', async () => {
    await seedLegacyInstall();
    await legacy('audit_events').where({ id: 3 }).update({ actor_label: 'tampered@bank.test' });
    const snapshot = await dumpDatabase(db);
    await expect(redactCardNumbers(db)).rejects.toThrow(/does not verify at entry 3/);
    expect(await dumpDatabase(db)).toEqual(snapshot);
  });
});
