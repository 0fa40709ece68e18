import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signinUpkeep } from '../../app/domain/signin/index.ts';
import type { Db } from '../../app/storage/db.ts';
import { workerJobs } from '../../backup/worker/jobs.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import { signIn, startTestParley, type TestParley } from '../harness/parley.ts';
import { SIGNIN_TEST_ENV, postSignIn } from './helpers.ts';

// Refused sign-ins for emails with no account are counted per address and window: the first is
// recorded without the email, then one summary per address and window, never the emails typed.

let t: TestParley;
let db: Db;
let admin: string;

beforeAll(async () => {
  db = testDb();
  t = await startTestParley({
    ...SIGNIN_TEST_ENV,
    PARLEY_TRUSTED_PROXIES: '127.0.0.1',
    PARLEY_SIGNIN_SUMMARY_MINUTES: '15',
    PARLEY_HTTP_REDIRECT: 'false',
  });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});
beforeEach(async () => {
  await truncateAll(db);
  const { agent, password } = await createAgent(db, { role: 'admin' });
  admin = await signIn(t, agent.email, password);
});

interface EntryView {
  action: string;
  ip: string;
  actor: { kind: string; id: number | null; label: string };
  details: Record<string, unknown>;
}

const A = '203.0.113.50';
const B = ['2001:db8:1:2::5', '2001:db8:1:2::6']; // one /64
const TYPED = [
  'ghost1@example.test',
  'ghost2@example.test',
  'ghost1@example.test',
  '4111 1111 1111 1111',
  'Robert"); DROP TABLE agents;--',
  'ghost3@example.test',
  'GHOST2@example.test',
];

const fail = (email: string, address: string) =>
  postSignIn(t, { email, password: 'not it' }, { 'X-Forwarded-For': address }).expect(401);

async function search(query: string): Promise<EntryView[]> {
  const res = await t.http().get(`/api/audit?${query}`).set('Cookie', admin).expect(200);
  return (res.body as { entries: EntryView[] }).entries;
}

/** Moves every open window back past its end, as 16 minutes of waiting would. */
const endWindows = () =>
  db('signin_refusal_windows').update({
    window_started_at: new Date(Date.now() - 16 * 60_000),
  });

describe('refused sign-ins for unknown accounts', () => {
  it('writes the first of a window without the email, then one summary per address and window, searchable', async () => {
    const { agent } = await createAgent(db);
    for (const email of TYPED) await fail(email, A);
    await fail(agent.email, A); // an existing account: its own entry, as before
    await fail('ghost1@example.test', B[0]!);
    await fail('ghost9@example.test', B[1]!);
    await fail('ghost9@example.test', B[0]!);

    const firsts = await search('action=agent.signin&outcome=failure');
    const counted = firsts.filter((entry) => entry.details.counted === true);
    expect(counted.map((entry) => entry.ip).sort()).toEqual([A, B[0]].sort());
    for (const entry of counted) {
      expect(entry.actor).toEqual({ kind: 'agent', id: null, label: '' });
      expect(entry.details.reason).toBe('unknown_account');
    }
    const own = firsts.filter((entry) => entry.details.reason === 'bad_password');
    expect(own.map((entry) => entry.actor.label)).toEqual([agent.email]);
    expect(await search(`action=${'agent.signin_summary'}`)).toEqual([]); // windows still open

    await endWindows();
    // The search itself writes the summaries that are due.
    const summaries = await search('action=agent.signin_summary');
    expect(summaries).toHaveLength(2);
    const byIp = Object.fromEntries(summaries.map((entry) => [entry.ip, entry]));
    expect(byIp[A]!.details).toMatchObject({
      refusals: TYPED.length,
      reasons: { unknown_account: TYPED.length },
      distinctEmails: 5, // ghost1 and ghost2 twice (emails are compared lower-cased)
      windowMinutes: 15,
    });
    expect(byIp['2001:db8:1:2::/64']!.details).toMatchObject({
      refusals: 3,
      reasons: { unknown_account: 3 },
      distinctEmails: 2,
    });
    expect(byIp[A]!.actor).toEqual({ kind: 'system', id: null, label: 'sign-in defences' });
    const { firstAt, lastAt } = byIp[A]!.details as { firstAt: string; lastAt: string };
    expect(Date.parse(firstAt)).toBeLessThanOrEqual(Date.parse(lastAt));

    // Written once: searching again adds nothing.
    expect(await search('action=agent.signin_summary')).toHaveLength(2);
    // Found by address (an IPv6 address finds its /64's summary), by text, by action prefix.
    const byAddress = await search(`address=${encodeURIComponent(B[0]!)}`);
    expect(byAddress.map((entry) => entry.action).sort()).toEqual([
      'agent.signin',
      'agent.signin_summary',
    ]);
    const other = await search(`address=${encodeURIComponent(B[1]!)}`);
    expect(other.map((entry) => entry.action)).toEqual(['agent.signin_summary']);
    expect((await search(`q=${A}`)).map((entry) => entry.action).sort()).toEqual([
      'agent.signin',
      'agent.signin',
      'agent.signin_summary',
    ]);
    expect(await search('action=agent.signin*&q=unknown_account')).toHaveLength(4);

    // Nothing typed for an unknown account is anywhere in the log, nor in the counting tables.
    const everything = JSON.stringify([
      await db('audit_events').select(),
      await db('signin_refusal_windows').select(),
      await db('signin_refusal_emails').select(),
    ]);
    for (const typed of [...TYPED, 'ghost9@example.test']) {
      expect(everything.toLowerCase()).not.toContain(typed.toLowerCase());
    }
    expect(everything).not.toContain('4111');
    expect(everything).not.toContain('DROP TABLE');
    expect(await t.parley.services.audit.verify()).toMatchObject({ ok: true });
  });

  it('closes a window at the next refusal after it, and by the worker job when none comes', async () => {
    for (let i = 0; i < 3; i += 1) await fail(`a${i}@example.test`, A);
    for (let i = 0; i < 2; i += 1) await fail(`c${i}@example.test`, '198.51.100.77');
    await endWindows();

    // The next refusal from A closes A's window first, then starts a new one with itself.
    await fail('a-late@example.test', A);
    const rows = await db('audit_events')
      .whereIn('action', ['agent.signin', 'agent.signin_summary'])
      .orderBy('id')
      .select('action', 'ip');
    expect(rows.slice(-2)).toEqual([
      { action: 'agent.signin_summary', ip: A },
      { action: 'agent.signin', ip: A },
    ]);
    expect(await db('signin_refusal_windows').where({ address: A }).first()).toMatchObject({
      refusals: 1,
    });

    // No refusal comes from 198.51.100.77 again: the worker's job writes its summary.
    const upkeep = (
      await workerJobs({ config: t.config, db, audit: t.parley.services.audit })
    ).find((job) => job.name === 'signin-upkeep')!;
    expect(await upkeep.run()).toMatchObject({ summaries: 1 });
    expect(await upkeep.run()).toMatchObject({ summaries: 0 });
    const summaries = await db('audit_events')
      .where('action', 'agent.signin_summary')
      .select<{ ip: string; details: unknown }[]>('ip', 'details');
    const details = (row: { details: unknown }) =>
      (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as {
        refusals: number;
      };
    expect(summaries.map((row) => [row.ip, details(row).refusals]).sort()).toEqual([
      ['198.51.100.77', 2],
      [A, 3],
    ]);
    expect(await db('signin_refusal_windows').where({ address: '198.51.100.77' })).toEqual([]);
  });

  it('summarises a window exactly once when several processes close it at the same time', async () => {
    for (let i = 0; i < 4; i += 1) await fail(`p${i}@example.test`, A);
    await endWindows();
    const closers = Array.from({ length: 4 }, () =>
      signinUpkeep({ config: t.config, db, audit: t.parley.services.audit }),
    );
    const written = await Promise.all(closers.map((closer) => closer.refusals.closeEnded()));
    expect(written.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await db('audit_events').where('action', 'agent.signin_summary')).toHaveLength(1);
    expect(await t.parley.services.audit.verify()).toMatchObject({ ok: true });
  });

  it('counts a burst of refusals from one address exactly', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => fail(`burst${i % 6}@example.test`, A)));
    const window = await db('signin_refusal_windows').where({ address: A }).first();
    expect(window).toMatchObject({ refusals: 12, distinct_emails: 6 });
    expect(
      await db('audit_events')
        .where('action', 'agent.signin')
        .whereNot('actor_label', 'like', '%@%'),
    ).toHaveLength(1);
  });
});
