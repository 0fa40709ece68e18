import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newClientId } from '../../app/shared/clientIds.ts';
import type { Ack } from '../../app/shared/protocol.ts';
import { backupName } from '../../app/storage/backupStatus.ts';
import type { Db } from '../../app/storage/db.ts';
import { departmentsRepo } from '../../app/storage/departments.ts';
import { readMetricsToken } from '../../app/metrics/listener.ts';
import { testDb, truncateAll } from '../harness/db.ts';
import { createAgent } from '../harness/factories.ts';
import {
  connectAgent,
  connectVisitor,
  connected,
  signIn,
  startTestParley,
  visitorToken,
  type TestParley,
} from '../harness/parley.ts';
import { freePort } from '../files/privateClamd.ts';
import {
  metricsClient,
  parseExposition,
  tokenFile,
  valueOf,
  type Exposition,
} from './exposition.ts';

// Issue 15: the Prometheus endpoint of a real Parley, scraped as Prometheus scrapes it.

const EVERY_METRIC = [
  'parley_ready',
  'parley_database_up',
  'parley_chats_active',
  'parley_chats_queued',
  'parley_agents_online',
  'parley_messages_total',
  'parley_message_commit_seconds',
  'parley_clamd_up',
  'parley_clamd_signature_age_days',
  'parley_backup_last_success_timestamp_seconds',
  'parley_backup_oldest_timestamp_seconds',
  'parley_backup_last_result',
  'parley_backup_drill_last_timestamp_seconds',
  'parley_backup_drill_last_result',
  'parley_offsite_failures',
  'parley_db_read_only',
  'parley_replication_configured',
  'parley_replication_io_running',
  'parley_replication_sql_running',
  'parley_replication_lag_seconds',
  'parley_semisync_primary_enabled',
  'parley_semisync_primary_active',
  'parley_semisync_standbys_connected',
  'parley_semisync_unacknowledged_commits_total',
  'parley_disk_free_bytes',
  'parley_disk_size_bytes',
];

let t: TestParley;
let db: Db;
let token: string;
let backupDir: string;
const sockets: { disconnect(): unknown }[] = [];

beforeAll(async () => {
  db = testDb();
  const secret = tokenFile();
  token = secret.token;
  backupDir = mkdtempSync(join(tmpdir(), 'parley-metrics-backups-'));
  t = await startTestParley({
    PARLEY_METRICS_PORT: String(await freePort()),
    PARLEY_METRICS_TOKEN_FILE: secret.path,
    PARLEY_METRICS_CACHE_SECONDS: '0',
    PARLEY_BACKUP_DIR: backupDir,
  });
});
afterAll(async () => {
  await t.close();
  await db.destroy();
  rmSync(backupDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await truncateAll(db);
  rmSync(backupDir, { recursive: true, force: true });
  mkdirSync(backupDir);
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

const client = () => metricsClient(t.parley.metricsPort!);

async function scrape(): Promise<Exposition> {
  const res = await client().get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(res.text);
}

function ok<T>(reply: Ack<T>) {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.id}`);
  return reply;
}

describe('the metrics endpoint is private', () => {
  it('answers 401 with a stable error id without the token, or with a wrong one', async () => {
    const none = await client().get('/metrics').expect(401);
    expect(none.body).toMatchObject({ error: { id: 'metrics_token_invalid' } });
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(none.text).not.toContain('parley_');
    const wrong = await client()
      .get('/metrics')
      .set('Authorization', `Bearer ${token.slice(0, -1)}x`)
      .expect(401);
    expect(wrong.body).toMatchObject({ error: { id: 'metrics_token_invalid' } });
    await client().get('/metrics').set('Authorization', token).expect(401); // no "Bearer"
  });

  it('serves only GET /metrics, on its own port: the public HTTPS port has no /metrics', async () => {
    const other = await client().get('/').set('Authorization', `Bearer ${token}`).expect(404);
    expect(other.body).toMatchObject({ error: { id: 'not_found' } });
    const main = await t.http().get('/metrics').set('Authorization', `Bearer ${token}`);
    // (the console's page may answer any unknown path; the metrics never)
    void main.status; // 404, or 503 where the UI is not built
    expect(main.text).not.toContain('parley_messages_total');
    expect(t.parley.metricsPort).not.toBe(t.parley.httpsPort);
  });
});

describe('the token file', () => {
  it('is required when the port is set, and must hold a token long enough to guess at', () => {
    const env = (file: string) => ({ ...t.config.env, PARLEY_METRICS_TOKEN_FILE: file });
    expect(() => readMetricsToken(env(''))).toThrow(
      'PARLEY_METRICS_TOKEN_FILE: is required when PARLEY_METRICS_PORT is set',
    );
    expect(() => readMetricsToken(env(join(backupDir, 'absent')))).toThrow(/cannot read .*ENOENT/);
    writeFileSync(join(backupDir, 'short'), 'letmein\n');
    expect(() => readMetricsToken(env(join(backupDir, 'short')))).toThrow(/at least 16/);
    expect(readMetricsToken(env(t.config.env.PARLEY_METRICS_TOKEN_FILE))).toBe(token);
  });
});

describe('the exposition', () => {
  it('parses and names every metric of issue 15', async () => {
    const metrics = await scrape();
    for (const name of EVERY_METRIC) expect(metrics.types.has(name), name).toBe(true);
    expect(metrics.types.get('parley_messages_total')).toBe('counter');
    expect(metrics.types.get('parley_message_commit_seconds')).toBe('histogram');
    expect(valueOf(metrics, 'parley_ready')).toBe(1);
    expect(valueOf(metrics, 'parley_clamd_up')).toBe(1);
    expect(valueOf(metrics, 'parley_db_read_only')).toBe(0); // the test database is a primary
    const free = valueOf(metrics, 'parley_disk_free_bytes', { volume: 'backups' })!;
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(
      valueOf(metrics, 'parley_disk_size_bytes', { volume: 'backups' })!,
    );
    expect(valueOf(metrics, 'parley_disk_free_bytes', { volume: 'files' })).toBeGreaterThan(0);
    // The test database is a lone primary: no replica threads (NaN), no semi-sync, nothing unacknowledged.
    expect(valueOf(metrics, 'parley_replication_configured')).toBe(0);
    expect(valueOf(metrics, 'parley_replication_io_running')).toBeNaN();
    expect(valueOf(metrics, 'parley_semisync_primary_enabled')).toBe(0);
    expect(valueOf(metrics, 'parley_semisync_unacknowledged_commits_total')).toBe(0);
  });

  it('counts chats, agents and committed messages as a chat happens over real sockets', async () => {
    await departmentsRepo(db).insert({ name: 'Cards', description: '' });
    const before = await scrape();
    expect(valueOf(before, 'parley_chats_queued', { department: 'Cards' })).toBe(0);
    const messages0 = valueOf(before, 'parley_messages_total')!;
    const commits0 = valueOf(before, 'parley_message_commit_seconds_count')!;

    const { agent, password } = await createAgent(db);
    const agentSocket = connectAgent(t.url, await signIn(t, agent.email, password));
    sockets.push(agentSocket);
    await connected(agentSocket);
    const visitor = connectVisitor(t.url, await visitorToken(t));
    sockets.push(visitor);
    await connected(visitor);
    const started = ok(
      await visitor.emitWithAck('chat:start', { name: 'Ada', question: 'Card lost' }),
    );

    const queued = await scrape();
    expect(valueOf(queued, 'parley_chats_queued', { department: '(none)' })).toBe(1);
    expect(valueOf(queued, 'parley_chats_active', { department: '(none)' })).toBe(0);
    expect(valueOf(queued, 'parley_agents_online', { status: 'online' })).toBe(1);
    const messages1 = valueOf(queued, 'parley_messages_total')!;
    expect(messages1).toBe(messages0 + 1); // the pre-chat question is the chat's first message

    ok(await agentSocket.emitWithAck('chat:accept', { chatId: started.chat.id }));
    const send = { chatId: started.chat.id, clientId: newClientId(), body: 'Hello?' };
    ok(await visitor.emitWithAck('message:send', send));
    ok(await visitor.emitWithAck('message:send', send)); // a resend commits nothing new

    const active = await scrape();
    expect(valueOf(active, 'parley_chats_queued', { department: '(none)' })).toBe(0);
    expect(valueOf(active, 'parley_chats_active', { department: '(none)' })).toBe(1);
    expect(valueOf(active, 'parley_messages_total')).toBe(messages1 + 1);
    expect(valueOf(active, 'parley_message_commit_seconds_count')).toBe(commits0 + 2);
    expect(valueOf(active, 'parley_message_commit_seconds_sum')).toBeGreaterThan(0);
    expect(valueOf(active, 'parley_message_commit_seconds_bucket', { le: '1' })).toBe(commits0 + 2);
  });

  it('reads the backups from the status files in PARLEY_BACKUP_DIR and the audit log', async () => {
    const empty = await scrape();
    expect(valueOf(empty, 'parley_backup_last_success_timestamp_seconds')).toBe(0);
    expect(valueOf(empty, 'parley_backup_last_result')).toBeNaN();
    expect(valueOf(empty, 'parley_backup_drill_last_timestamp_seconds')).toBe(0);

    const newest = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
    const oldest = new Date(newest.getTime() - 3 * 86_400_000);
    for (const at of [oldest, newest]) writeFileSync(join(backupDir, backupName(at)), 'x');
    const drillAt = new Date(newest.getTime() + 60_000).toISOString();
    writeFileSync(
      join(backupDir, 'drill-status.json'),
      JSON.stringify({
        at: drillAt,
        backup: backupName(newest),
        ok: false,
        error: 'bad signature',
      }),
    );
    writeFileSync(
      join(backupDir, 'offsite-status.json'),
      JSON.stringify({
        at: drillAt,
        backup: backupName(newest),
        results: [
          { target: 'dir:/mnt/a', ok: true, attempts: 1 },
          { target: 'sftp:vault', ok: false, attempts: 5, error: 'ECONNREFUSED' },
        ],
      }),
    );
    await t.parley.services.audit.record({
      actor: { kind: 'system', label: 'worker' },
      action: 'backup.create',
      outcome: 'failure',
    });

    const metrics = await scrape();
    expect(valueOf(metrics, 'parley_backup_last_success_timestamp_seconds')).toBe(
      newest.getTime() / 1000,
    );
    expect(valueOf(metrics, 'parley_backup_oldest_timestamp_seconds')).toBe(
      oldest.getTime() / 1000,
    );
    expect(valueOf(metrics, 'parley_backup_last_result')).toBe(0);
    expect(valueOf(metrics, 'parley_backup_drill_last_timestamp_seconds')).toBe(
      Date.parse(drillAt) / 1000,
    );
    expect(valueOf(metrics, 'parley_backup_drill_last_result')).toBe(0);
    expect(valueOf(metrics, 'parley_offsite_failures')).toBe(1);
  });
});
