// make dr-status | failover | rejoin | failback (issue 15). See README "Disaster recovery".
//   node ops/dr.ts status [--json] | failover | rejoin | failback      FORCE=1 to override a refusal
//   FROM=offsite (or --from=offsite) failover: no standby; rebuild from the offsite backups
import { request } from 'node:https';
import { loadConfigOrExit } from '../config/load.ts';
import { openDb } from '../app/storage/db.ts';
import { ER_NO_SUCH_TABLE, sqlErrno } from '../app/storage/sqlErrors.ts';
import { filesLag } from '../app/storage/fileShipments.ts';
import { DrRefusal, failover } from './dr/failover.ts';
import { failback } from './dr/failback.ts';
import { failoverFromOffsite } from './dr/fromOffsite.ts';
import { rejoin } from './dr/rejoin.ts';
import { resume } from './dr/resume.ts';
import { adminConnection, drSettings, switchLine, type DrSettings } from './dr/site.ts';
import { drStatus, statusLines } from './dr/status.ts';
import { recordOpsAudit } from './opsAudit.ts';

const config = loadConfigOrExit({ process: 'ops' });
const command = process.argv[2] ?? 'status';
const force = process.env.FORCE === '1';
const fromOffsite =
  process.env.FROM === 'offsite' || process.argv.slice(3).includes('--from=offsite');
const by = `make ${command === 'status' ? 'dr-status' : command}${fromOffsite ? ' FROM=offsite' : ''} (${process.env.SUDO_USER ?? process.env.USER ?? 'unknown'})`;
const say = (line: string) => process.stdout.write(`${line}\n`);
const started = Date.now();

/**
 * Audited where writes go: the primary. For a rejoin that is the peer (this site is read-only),
 * reached as every other DR step reaches it: the DR account, over verified TLS.
 */
function audited(
  action: string,
  details: Record<string, unknown>,
  peer?: { at: { host: string; port: number }; settings: DrSettings },
) {
  const db = peer ? adminConnection(peer.at, peer.settings, config.env.PARLEY_DB_NAME) : undefined;
  return recordOpsAudit(config, 'ops', { action, outcome: 'success', details }, db);
}

/** Polls this site's app until /readyz says primary; the milliseconds it took, or null. */
async function appServing(url: string, withinMs: number): Promise<number | null> {
  const from = Date.now();
  while (Date.now() - from < withinMs) {
    const status = await new Promise<number>((resolve) => {
      const req = request(url, { rejectUnauthorized: false, timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (status === 200) return Date.now() - from;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

/** The files volume against the database (the worker ships blobs to the standby). */
async function filesLagLine(): Promise<string> {
  const db = openDb(config);
  try {
    const lag = await filesLag(db, config.env.PARLEY_FILES_DIR);
    const unshipped = lag.unshipped
      ? `${lag.unshipped} file(s) not yet shipped to the standby (oldest ${lag.oldestUnshippedAt?.toISOString() ?? '?'})`
      : 'every file shipped';
    const missing = lag.missingHere
      ? `; ${lag.missingHere} file(s) referenced here have not arrived (ids ${lag.missingExamples.join(', ')})`
      : '; every referenced file is here';
    return unshipped + missing;
  } catch (error) {
    return `unknown (${(error as Error).message.slice(0, 120)})`;
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<number> {
  if (command === 'failover' && process.env.FROM && !fromOffsite) {
    say(`FROM=${process.env.FROM}: the only other source is FROM=offsite (the offsite backups)`);
    return 64;
  }
  if (command === 'failover' && fromOffsite) {
    await failoverFromOffsite(config, { force, by, started, say }); // needs no DR settings
    return 0;
  }
  const s = drSettings(config);
  const keepDir = config.env.PARLEY_BACKUP_DIR;
  if (command === 'status') {
    const st = await drStatus(s);
    if (process.argv.includes('--json')) say(JSON.stringify(st, null, 2));
    else {
      for (const line of statusLines(st, `${s.self.host}:${s.self.port}`)) say(line);
      say(`files lag     ${await filesLagLine()}`);
    }
    return st.failoverWouldLose?.transactions ? 3 : 0;
  }
  if (command === 'failover' || command === 'failback') {
    const result =
      command === 'failover'
        ? await failover(s, { force, kind: 'failover', by, say })
        : (await failback(s, { by, say, keepDir })).promoted;
    if (result.outcome === 'already_primary') return 0;
    await audited(`dr.${command}`, {
      force,
      rpo: result.recoveryPoint, // not `recoveryPoint`: the audit log drops keys that say "recovery"
      lostTransactions: result.lostTransactions,
      promotedAtGtid: result.promotedAtGtid,
      fenced: result.fenced,
    });
    const serving = await appServing(s.appReadyUrl, 15_000);
    say(
      serving === null
        ? `This site's app is not ready yet (${s.appReadyUrl}); check make status.`
        : `This site's app serves chats (${serving} ms after promotion; ${Date.now() - started} ms after the command started).`,
    );
    say(switchLine(s.publicUrl));
    say('Consoles and widgets reconnect by themselves and resync by sequence number.');
    return 0;
  }
  if (command === 'rejoin') {
    const result = await rejoin(s, { say, keepDir });
    if (result.outcome !== 'already_standby')
      await audited('dr.rejoin', { ...result }, { at: s.peer!, settings: s });
    return 0;
  }
  if (command === 'resume') {
    if ((await resume(s, { force, say })) === 'resumed')
      await audited('dr.resume', { force }).catch((error: unknown) => {
        // make install resumes a new primary before its first migration: no audit log exists yet.
        if (sqlErrno(error) !== ER_NO_SUCH_TABLE) throw error;
        say('Not audited: this database has no schema yet (a first install).');
      });
    return 0;
  }
  say(`unknown command ${command}: status, failover, rejoin, failback or resume`);
  return 64;
}

// A step left waiting with nothing to wake it must not look like success.
process.on('beforeExit', () => {
  process.stderr.write(`dr ${command}: stopped before it finished\n`);
  process.exit(1);
});

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof DrRefusal) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`dr ${command} failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
