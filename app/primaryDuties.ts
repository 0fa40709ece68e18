import type { Services } from './services.ts';
import type { SocketServer } from './socket/server.ts';
import { describeError } from './log.ts';

/**
 * What only the primary site does in the background: the temp-file, refusal, routing and presence
 * sweeps. Started while this site is primary and stopped when it becomes standby (issue 15), when
 * every socket is also disconnected: clients reconnect by the public name, which IT points at the
 * promoted site, and resync by sequence number.
 */
export function primaryDuties(services: Services, sockets: SocketServer) {
  const { log } = services;
  let stopAll: (() => Promise<void>) | null = null;

  function start(): void {
    if (stopAll) return;
    const stopSweeps = services.files.sweepPeriodically(log); // temp files a crash left (issue 5)
    const stopRefusalFlush = services.rateLimits.flushPeriodically(); // refusal counts (issue 12)
    const stopRoutingSweep = services.routing.sweepPeriodically(); // offers that ran out (issue 14)
    services.availability.start(); // idle-away and offline after the grace period (issue 14)
    // An agent who goes away or offline gives back their open offers; one who comes online can take chats.
    const stopRoutingOnPresence = services.availability.onChange((agentId, status) => {
      const next =
        status === 'online'
          ? services.routing.agentAvailable()
          : services.routing.agentUnavailable(agentId);
      next.catch((error: unknown) =>
        log.error({ err: describeError(error) }, 'routing after a status change failed'),
      );
    });
    stopAll = async () => {
      stopSweeps();
      stopRefusalFlush();
      stopRoutingSweep();
      stopRoutingOnPresence();
      await services.availability.stop();
    };
  }

  async function stop(): Promise<void> {
    const running = stopAll;
    stopAll = null;
    await running?.();
  }

  const stopWatching = services.siteRole.onChange((role) => {
    if (role === 'primary') return start();
    // Closed as a network cut closes them (not "io server disconnect"), so clients reconnect by themselves.
    for (const ns of [sockets.visitors, sockets.agents])
      for (const socket of ns.sockets.values()) socket.conn.close();
    stop().catch((error: unknown) =>
      log.error({ err: describeError(error) }, 'stopping the primary duties failed'),
    );
  });
  if (services.siteRole.role() === 'primary') start();

  return {
    async stop() {
      stopWatching();
      services.siteRole.stop();
      await stop();
    },
  };
}
