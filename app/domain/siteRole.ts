import { describeError, type Logger } from '../log.ts';
import { ParleyError } from './errors.ts';

// This site's role in a primary/standby pair (issue 15), as its database says: a read-only
// database is a standby's. Polled, so an app follows a promotion (the standby's database made
// writable by `make failover`) or a fence (the old primary's made read-only) within a second,
// without a restart. While the database does not answer, the last known role stands.

export type SiteRole = 'primary' | 'standby';

export interface SiteRoleWatch {
  role(): SiteRole;
  /** Reads the database once now; start() does it first, then every interval. */
  refresh(): Promise<SiteRole>;
  start(): Promise<void>;
  stop(): void;
  /** Called on every change of role, after role() answers the new one. */
  onChange(listener: (role: SiteRole) => void): () => void;
}

/** Clients ask again after this many seconds: `retryAfter` in the body, the handshake's data. */
const STANDBY_RETRY_AFTER_SECONDS = 5;

export const standbyError = () =>
  Object.assign(
    new ParleyError(
      'standby',
      503,
      'This Parley is the standby site: it takes chats only after a failover (make failover). Use the primary site.',
      true,
    ),
    { retryAfter: STANDBY_RETRY_AFTER_SECONDS },
  );

export function siteRoleWatch(
  readOnly: () => Promise<boolean>,
  options: { intervalMs: number; log: Logger },
): SiteRoleWatch {
  let current: SiteRole = 'primary';
  let timer: NodeJS.Timeout | null = null;
  let failing = false;
  const listeners = new Set<(role: SiteRole) => void>();

  async function refresh(): Promise<SiteRole> {
    let next: SiteRole;
    try {
      next = (await readOnly()) ? 'standby' : 'primary';
      failing = false;
    } catch (error) {
      if (!failing)
        options.log.warn({ err: describeError(error) }, 'site role: database unreadable');
      failing = true;
      return current;
    }
    if (next !== current) {
      options.log.warn({ from: current, to: next }, 'site role changed');
      current = next;
      for (const listener of listeners) listener(next);
    }
    return current;
  }

  return {
    role: () => current,
    refresh,
    async start() {
      await refresh();
      if (timer) return;
      const tick = () => {
        timer = setTimeout(() => void refresh().finally(() => timer && tick()), options.intervalMs);
        timer.unref();
      };
      tick();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
