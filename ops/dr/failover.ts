import { describeGap, gapBetween, lostTransactions } from './gtid.ts';
import { lastFailover, recordFailover } from './records.ts';
import { openSite, reach, type DrSettings, type Site } from './site.ts';

// `make failover`, run on the standby (issue 15): fence the old primary when it can be reached,
// wait for what was received to be applied, show the recovery point, promote, record. A refusal
// leaves both sites as they were (a fenced primary gets its writes back).

export class DrRefusal extends Error {
  readonly id: string;
  constructor(id: string, message: string) {
    super(message);
    this.id = id;
  }
}

export interface FailoverOptions {
  force: boolean;
  kind: 'failover' | 'failback';
  by: string;
  say: (line: string) => void;
}

export interface FailoverResult {
  outcome: 'promoted' | 'already_primary';
  recoveryPoint: string;
  lostTransactions: number | null;
  promotedAtGtid: string;
  fenced: boolean;
}

export async function failover(s: DrSettings, o: FailoverOptions): Promise<FailoverResult> {
  const here = openSite('here', s.here, s);
  const peer = s.peer ? openSite('peer', s.peer, s) : null;
  try {
    return await promote(s, o, here, peer);
  } finally {
    await here.close();
    await peer?.close();
  }
}

async function promote(s: DrSettings, o: FailoverOptions, here: Site, peer: Site | null) {
  const say = o.say;
  const mine = await here.state();
  if (!mine.readOnly && mine.replica === null) {
    say(`This site (${here.address}) is already the primary: nothing to do.`);
    return {
      outcome: 'already_primary' as const,
      recoveryPoint: 'none',
      lostTransactions: 0,
      promotedAtGtid: mine.currentGtid,
      fenced: false,
    };
  }
  // A site whose database is not there yet (a standby being installed) has no record.
  const last = await lastFailover(here.db, s.database).catch(() => null);
  const flapMs = s.antiFlapMinutes * 60_000;
  if (o.kind === 'failover' && last && Date.now() - last.at.getTime() < flapMs) {
    const ago = Math.round((Date.now() - last.at.getTime()) / 60_000);
    if (!o.force)
      throw new DrRefusal(
        'anti_flap',
        `The last failover was ${ago} min ago (${last.at.toISOString()}); a second within ${s.antiFlapMinutes} min is refused so the sites do not flap. Run again with FORCE=1 if you mean it.`,
      );
    say(`FORCE: failing over ${ago} min after the last failover.`);
  }

  // Fence: the old primary's database read-only, so its app stops taking chats within a second.
  const seen = peer ? await reach(peer) : { ok: false as const, why: 'no peer is configured' };
  let fenced = false;
  let primaryGtid: string | null = null;
  if (seen.ok && peer) {
    if (!seen.state.readOnly) {
      await peer.db.raw('SET GLOBAL read_only = 1');
      fenced = true;
      say(
        `Fenced the old primary ${peer.address}: its database is read-only, its app stops taking chats.`,
      );
    } else say(`The old primary ${peer.address} is already read-only.`);
    primaryGtid = (await peer.state()).binlogGtid;
  } else {
    say(
      `The old primary ${peer?.address ?? '(none configured)'} cannot be reached (${'why' in seen ? seen.why : 'unreachable'}): it cannot be fenced.`,
    );
    if (!o.force)
      throw new DrRefusal(
        'peer_unreachable',
        'Failover refused: the old primary cannot be fenced. Make sure it is down or cut off (power, network) so that it cannot take writes, then run again with FORCE=1.',
      );
  }

  // Apply what was received: up to the fenced primary's last GTID, or all that arrived.
  const replica = mine.replica === 'unknown' ? null : mine.replica;
  // With the replica's IO thread stopped nothing more will arrive: wait only for what did.
  const target =
    (replica?.ioRunning ? primaryGtid : null) ?? replica?.receivedGtid ?? mine.currentGtid;
  say(
    `Waiting up to ${s.applyTimeoutSeconds} s for this site to apply up to ${target || '(nothing)'}…`,
  );
  if (target)
    await here.db.raw('SELECT MASTER_GTID_WAIT(?, ?) AS r', [target, s.applyTimeoutSeconds]);
  const now = await here.state();

  let recoveryPoint: string;
  let lost: number | null;
  if (primaryGtid !== null) {
    const gaps = gapBetween(now.currentGtid, primaryGtid);
    lost = lostTransactions(gaps);
    recoveryPoint = describeGap(gaps);
  } else {
    lost = null;
    recoveryPoint = `unknown: the old primary could not be asked; this site applied up to ${now.currentGtid || '(nothing)'}; semi-sync was ${now.semiSync.replicaActive ? 'active here, so every commit the old primary acknowledged reached this site' : 'NOT active here, so commits after that may be lost'}`;
  }
  say(`Recovery point (what the promotion loses): ${recoveryPoint}.`);
  if (lost !== null && lost > 0 && !o.force) {
    if (fenced && peer) await peer.db.raw('SET GLOBAL read_only = 0');
    throw new DrRefusal(
      'would_lose_data',
      `Failover refused: it would lose ${recoveryPoint}.${fenced ? ' The old primary was given its writes back.' : ''} Repair replication (make dr-status) and try again, or run with FORCE=1 to accept the loss.`,
    );
  }

  await here.db.raw('STOP SLAVE');
  await here.db.raw('RESET SLAVE ALL');
  // No standby waits on this site until one rejoins: no commit should wait out the semi-sync timeout.
  await here.db.raw('SET GLOBAL rpl_semi_sync_master_enabled = 0');
  await here.db.raw('SET GLOBAL read_only = 0');
  const promotedAtGtid = (await here.state()).currentGtid;
  say(`Promoted ${here.address}: it takes writes now (GTID ${promotedAtGtid || '(none)'}).`);
  await recordFailover(here.db, s.database, {
    at: new Date(),
    kind: o.kind,
    fromSite: peer?.address ?? '(none)',
    toSite: s.self.host + ':' + s.self.port,
    forced: o.force,
    recoveryPoint,
    lostTransactions: lost,
    promotedAtGtid,
    by: o.by,
  });
  return {
    outcome: 'promoted' as const,
    recoveryPoint,
    lostTransactions: lost,
    promotedAtGtid,
    fenced,
  };
}
