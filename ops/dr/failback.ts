import { DrRefusal, failover, type FailoverResult } from './failover.ts';
import { standBy, type RejoinResult } from './rejoin.ts';
import { openSite, type DrSettings } from './site.ts';

// `make failback`, run on the standby (issue 15): a planned failover the other way round. The
// primary is fenced, this site catches up and is promoted only with nothing lost (no FORCE), then
// the old primary is made this site's standby, so the pair is whole again in one command.

export async function failback(
  s: DrSettings,
  o: { by: string; say: (line: string) => void; keepDir: string },
): Promise<{ promoted: FailoverResult; swapped: RejoinResult }> {
  if (!s.peer)
    throw new DrRefusal('no_peer', 'PARLEY_DR_PEER_DB_HOST is not set: fail back to whom?');
  const promoted = await failover(s, { force: false, kind: 'failback', by: o.by, say: o.say });
  const oldPrimary = openSite('peer', s.peer, s);
  const self = openSite('here', s.here, s);
  try {
    const swapped = await standBy(oldPrimary, self, s, o, s.self);
    return { promoted, swapped };
  } finally {
    await oldPrimary.close();
    await self.close();
  }
}
