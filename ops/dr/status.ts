import { describeGap, gapBetween, lostTransactions } from './gtid.ts';
import { lastFailover, type FailoverRecord } from './records.ts';
import type { ReplicationState } from '../../app/storage/replication.ts';
import { openSite, reach, type DrSettings } from './site.ts';

// `make dr-status` (issue 15): this site's role, its peer, replication and lag, semi-sync, the last
// failover, and whether a failover now would lose data. Files lag joins it from the file shipper.

export interface DrStatus {
  role: 'primary' | 'standby';
  here: ReplicationState;
  peer: { address: string; reachable: boolean; why?: string; state?: ReplicationState } | null;
  lastFailover: FailoverRecord | null;
  /** Run on the standby: what a failover now would lose. */
  failoverWouldLose: { transactions: number | null; detail: string } | null;
}

export async function drStatus(s: DrSettings): Promise<DrStatus> {
  const here = openSite('here', s.here, s);
  const peer = s.peer ? openSite('peer', s.peer, s) : null;
  try {
    const mine = await here.state();
    const seen = peer ? await reach(peer) : null;
    const role = mine.readOnly ? 'standby' : 'primary';
    let wouldLose: DrStatus['failoverWouldLose'] = null;
    if (role === 'standby') {
      if (seen?.ok) {
        const gaps = gapBetween(mine.currentGtid, seen.state.binlogGtid);
        const received =
          mine.replica !== 'unknown' && mine.replica ? mine.replica.receivedGtid : '';
        const unreceived = gapBetween(received || mine.currentGtid, seen.state.binlogGtid);
        wouldLose = unreceived.length
          ? { transactions: lostTransactions(unreceived), detail: describeGap(unreceived) }
          : {
              transactions: 0,
              detail: gaps.length ? `none (${describeGap(gaps)} received, being applied)` : 'none',
            };
      } else
        wouldLose = {
          transactions: null,
          detail: mine.semiSync.replicaActive
            ? 'unknown (primary unreachable); semi-sync was active, so every acknowledged commit is here'
            : 'unknown (primary unreachable) and semi-sync is not active: recent commits may be lost',
        };
    }
    return {
      role,
      here: mine,
      peer:
        peer && seen
          ? {
              address: peer.address,
              reachable: seen.ok,
              ...(seen.ok ? { state: seen.state } : { why: seen.why }),
            }
          : null,
      lastFailover: await lastFailover(here.db, s.database).catch(() => null),
      failoverWouldLose: wouldLose,
    };
  } finally {
    await here.close();
    await peer?.close();
  }
}

export function statusLines(st: DrStatus, self: string): string[] {
  const r = st.here.replica;
  const lines = [
    `role          ${st.role} (${self}: database ${st.here.readOnly ? 'read-only' : 'writable'}, GTID ${st.here.currentGtid || '-'})`,
    `peer          ${st.peer ? `${st.peer.address} ${st.peer.reachable ? `reachable, ${st.peer.state!.readOnly ? 'read-only (standby)' : 'writable (primary)'}, GTID ${st.peer.state!.binlogGtid || '-'}` : `UNREACHABLE (${st.peer.why})`}` : 'none configured'}`,
  ];
  if (r === 'unknown') lines.push('replication   unknown (no SLAVE MONITOR privilege)');
  else if (r === null)
    lines.push(
      `replication   ${st.role === 'standby' ? 'NOT CONFIGURED on this standby' : 'this site replicates from no one'}`,
    );
  else
    lines.push(
      `replication   from ${r.primaryHost}:${r.primaryPort} ${r.tls ? 'over TLS' : 'WITHOUT TLS'}: IO ${r.ioRunning ? 'running' : 'STOPPED'}, SQL ${r.sqlRunning ? 'running' : 'STOPPED'}, lag ${r.secondsBehind ?? 'unknown'} s, received ${r.receivedGtid || '-'}${r.lastError ? `; error: ${r.lastError}` : ''}`,
    );
  const ss = st.here.semiSync;
  lines.push(
    st.role === 'primary'
      ? `semi-sync     ${ss.primaryEnabled ? (ss.primaryActive ? `on, ${ss.standbysConnected} standby acknowledging` : 'FELL BACK TO ASYNCHRONOUS (no standby acknowledged in time)') : 'off'}; ${ss.unacknowledgedCommits} commit(s) without acknowledgement since start`
      : `semi-sync     ${ss.replicaEnabled ? (ss.replicaActive ? 'on (this standby acknowledges)' : 'enabled, not active') : 'off'}`,
  );
  const f = st.lastFailover;
  lines.push(
    `last failover ${f ? `${f.at.toISOString()} ${f.kind} ${f.fromSite} -> ${f.toSite}${f.forced ? ' (FORCED)' : ''}, lost: ${f.recoveryPoint}` : 'never'}`,
  );
  if (st.failoverWouldLose)
    lines.push(
      `failover now  ${st.failoverWouldLose.transactions === 0 ? 'would lose nothing' : `WOULD LOSE DATA: ${st.failoverWouldLose.detail}`}${st.failoverWouldLose.transactions === 0 && st.failoverWouldLose.detail !== 'none' ? ` — ${st.failoverWouldLose.detail}` : ''}`,
    );
  return lines;
}
