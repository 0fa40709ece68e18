import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DrRefusal } from './failover.ts';
import { describeGap, divergedFrom, lostTransactions } from './gtid.ts';
import { openSite, type DrSettings, type Site } from './site.ts';

// `make rejoin`, run on the old primary once it is back (issue 15): it becomes the standby of the
// promoted site. From its own GTID position when it has not diverged; otherwise its diverged
// writes are reported and kept in a dump file, and it is re-seeded from the new primary. It is
// read-only from the first step, so it never takes writes meanwhile. A new standby, with no history
// at all, is seeded the same way.

export interface RejoinResult {
  outcome: 'rejoined' | 'reseeded' | 'seeded' | 'already_standby';
  diverged: string;
  divergedTransactions: number;
  keptIn: string | null;
}

export async function rejoin(
  s: DrSettings,
  o: { say: (line: string) => void; keepDir: string },
): Promise<RejoinResult> {
  if (!s.peer) throw new DrRefusal('no_peer', 'PARLEY_DR_PEER_DB_HOST is not set: rejoin whom?');
  const here = openSite('here', s.here, s);
  const peer = openSite('peer', s.peer, s);
  try {
    return await standBy(here, peer, s, o);
  } finally {
    await here.close();
    await peer.close();
  }
}

/** Makes `here` the standby of `there` (also failback's last step, with the sites swapped). */
export async function standBy(
  here: Site,
  there: Site,
  s: DrSettings,
  o: { say: (line: string) => void; keepDir: string },
  thereAddress = s.peer!,
): Promise<RejoinResult> {
  await here.db.raw('SET GLOBAL read_only = 1');
  const mine = await here.state();
  const theirs = await there.state();
  if (theirs.readOnly)
    throw new DrRefusal(
      'peer_not_primary',
      `${there.address} is read-only: it is not the primary to follow.`,
    );
  const replica = mine.replica === 'unknown' ? null : mine.replica;
  if (
    replica?.ioRunning &&
    replica.sqlRunning &&
    replica.primaryHost === thereAddress.host &&
    replica.primaryPort === thereAddress.port
  ) {
    o.say(`This site already follows ${there.address}: nothing to do.`);
    return { outcome: 'already_standby', diverged: 'none', divergedTransactions: 0, keptIn: null };
  }
  const gaps = divergedFrom(mine.binlogGtid, theirs.binlogState);
  await here.db.raw('STOP SLAVE').catch(() => undefined);
  await here.db.raw('RESET SLAVE ALL');
  let keptIn: string | null = null;
  const fresh = !mine.currentGtid && Boolean(theirs.binlogState);
  if (fresh) {
    // A new standby (make install ROLE=standby): nothing of its own, and the primary's binary log
    // may not reach back to its first write, so it starts from a copy rather than from position 0.
    o.say(
      `This site holds no replicated history: seeding it from a fresh copy of ${there.address}.`,
    );
    await reseed(there.at, here.at, s);
  } else if (gaps.length === 0) {
    o.say(
      `No divergence: following ${there.address} from this site's own position ${mine.binlogGtid || '(empty)'}.`,
    );
    await here.db.raw('SET GLOBAL gtid_slave_pos = ?', [mine.binlogGtid]);
  } else {
    o.say(`DIVERGED: this site wrote ${describeGap(gaps)} that ${there.address} never received.`);
    keptIn = join(o.keepDir, `diverged-${new Date().toISOString().replace(/[:.]/g, '-')}.sql`);
    await dump(here.at, s, keptIn);
    o.say(
      `Those writes are NOT merged: this site's whole database before re-seeding is kept in ${keptIn}.`,
    );
    await here.db.raw('RESET MASTER'); // the diverged binlog would break the strict GTID order
    await reseed(there.at, here.at, s);
    o.say(`Re-seeded from ${there.address}.`);
  }
  const ssl = s.caFile
    ? ', MASTER_SSL = 1, MASTER_SSL_CA = ?, MASTER_SSL_VERIFY_SERVER_CERT = 1'
    : '';
  await here.db.raw(
    `CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?,
       MASTER_CONNECT_RETRY = 5, MASTER_USE_GTID = slave_pos${ssl}`,
    [
      thereAddress.host,
      thereAddress.port,
      s.replUser,
      s.replPassword,
      ...(s.caFile ? [s.caFile] : []),
    ],
  );
  await here.db.raw('START SLAVE');
  await waitRunning(here);
  await there.db.raw('SET GLOBAL rpl_semi_sync_master_enabled = 1');
  o.say(`This site is now the standby of ${there.address} (semi-sync on there).`);
  return {
    outcome: fresh ? 'seeded' : gaps.length ? 'reseeded' : 'rejoined',
    diverged: describeGap(gaps),
    divergedTransactions: lostTransactions(gaps),
    keptIn,
  };
}

async function waitRunning(site: Site): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = (await site.state()).replica;
    if (r && r !== 'unknown' && r.ioRunning && r.sqlRunning) return;
    if (r && r !== 'unknown' && r.lastError && i > 20)
      throw new DrRefusal('replication_failed', `Replication did not start: ${r.lastError}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new DrRefusal(
    'replication_failed',
    'Replication did not start within 10 s (make dr-status).',
  );
}

/** A client options file (0600) so no password is on a command line. */
async function clientOptions({ host, port }: Site['at'], s: DrSettings) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-dr-'));
  const file = join(dir, 'client.cnf');
  const tls = s.caFile ? `ssl-ca=${s.caFile}\nssl-verify-server-cert\n` : '';
  await writeFile(
    file,
    `[client]\nhost=${host}\nport=${port}\nuser=${s.adminUser}\npassword=${s.adminPassword}\n${tls}`,
    { mode: 0o600 },
  );
  return { file, done: () => rm(dir, { recursive: true, force: true }) };
}

async function dump(at: Site['at'], s: DrSettings, to: string): Promise<void> {
  const options = await clientOptions(at, s);
  try {
    const child = spawn(
      'mariadb-dump',
      [
        `--defaults-extra-file=${options.file}`,
        '--single-transaction',
        '--skip-lock-tables',
        s.database,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const errors: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => errors.push(c));
    const closed = once(child, 'close'); // before the pipeline: the child may close first
    await pipeline(child.stdout, createWriteStream(to, { mode: 0o600 }));
    const [code] = (await closed) as [number];
    if (code !== 0)
      throw new Error(`mariadb-dump failed: ${Buffer.concat(errors).toString().slice(0, 300)}`);
  } finally {
    await options.done();
  }
}

/** The new primary's database, with its GTID position, loaded here without writing this binlog. */
async function reseed(from: Site['at'], into: Site['at'], s: DrSettings): Promise<void> {
  const source = await clientOptions(from, s);
  const target = await clientOptions(into, s);
  try {
    const out = spawn(
      'mariadb-dump',
      [
        `--defaults-extra-file=${source.file}`,
        '--single-transaction',
        '--gtid',
        '--master-data=1',
        '--databases', // with CREATE DATABASE IF NOT EXISTS: a new standby may have none yet
        s.database,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const load = spawn(
      'mariadb',
      [`--defaults-extra-file=${target.file}`, '--init-command=SET sql_log_bin = 0'],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    const errors: Buffer[] = [];
    out.stderr.on('data', (c: Buffer) => errors.push(c));
    load.stderr.on('data', (c: Buffer) => errors.push(c));
    const closed = Promise.all([once(out, 'close'), once(load, 'close')]);
    await pipeline(out.stdout, load.stdin);
    const [[a], [b]] = (await closed) as [[number], [number]];
    if (a !== 0 || b !== 0)
      throw new Error(`re-seeding failed: ${Buffer.concat(errors).toString().slice(0, 300)}`);
  } finally {
    await source.done();
    await target.done();
  }
}
