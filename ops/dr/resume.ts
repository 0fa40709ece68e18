import { DrRefusal } from './failover.ts';
import { openSite, reach, type DrSettings } from './site.ts';

// `make dr-resume`, on the primary site after its database restarted (issue 15). Both sites'
// databases start read-only (`--read-only=1`), so a primary that crashed and came back — perhaps
// after its standby was promoted — never takes writes by itself. This makes it writable again only
// when it follows no one and the peer is not writable; with the peer unreachable it needs FORCE.

export async function resume(
  s: DrSettings,
  o: { force: boolean; say: (line: string) => void },
): Promise<'resumed' | 'already_writable'> {
  const here = openSite('here', s.here, s);
  const peer = s.peer ? openSite('peer', s.peer, s) : null;
  try {
    const mine = await here.state();
    if (!mine.readOnly) {
      o.say('This site is writable already: nothing to do.');
      return 'already_writable';
    }
    if (mine.replica !== null)
      throw new DrRefusal(
        'is_standby',
        'This site is a standby (it replicates): use make failover to promote it.',
      );
    const seen = peer ? await reach(peer) : null;
    if (seen?.ok && !seen.state.readOnly)
      throw new DrRefusal(
        'peer_is_primary',
        `${peer!.address} is writable: it is the primary now. Run make rejoin here to become its standby.`,
      );
    if (seen && !seen.ok && !o.force)
      throw new DrRefusal(
        'peer_unreachable',
        `${peer!.address} cannot be reached (${seen.why}): it may have been promoted. Check, then run again with FORCE=1.`,
      );
    await here.db.raw('SET GLOBAL read_only = 0');
    o.say(`This site (${here.address}) is the primary again and takes writes.`);
    return 'resumed';
  } finally {
    await here.close();
    await peer?.close();
  }
}
