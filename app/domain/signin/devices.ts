import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AgentRow } from '../../storage/agents.ts';
import type { Store } from '../../storage/store.ts';
import { signinDevicesRepo } from '../../storage/signinDevices.ts';
import { deriveKey } from './keys.ts';

// Device cookies (OWASP, "Blocking Brute Force Attacks"): a browser that signed in to an account
// before keeps a small allowance of its own for that account, outside the per-address throttle,
// so a hostile client behind the same address (one NAT, one proxy) cannot shut the agent out.
// The cookie is `<nonce>.<HMAC(key, agent id, nonce)>`: it names its account only inside the MAC,
// cannot be made for another account without the secret key, and counts only while the database
// still lists its nonce's hash for that agent (deleted when the password is set or the agent's
// sessions are ended by an admin or a lock).

export interface DevicePolicy {
  /** Failures a trusted browser may have per window before it is treated like any other. */
  maxFailures: number;
  windowMinutes: number;
  /** How long a browser stays trusted after its last successful sign-in. */
  days: number;
}

/** A browser trusted for one agent, as its cookie named it. */
export interface TrustedDevice {
  idHash: Buffer;
  agentId: number;
  cookie: string;
  /** Failures already counted in its current window. */
  failures: number;
}

const COOKIE = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;
const NONCE_BYTES = 16;

const idHashOf = (nonce: Buffer) => createHash('sha256').update(nonce).digest();

export function trustedDevices(
  db: Store,
  secretKey: Buffer,
  policy: DevicePolicy,
  now: () => Date = () => new Date(),
) {
  const key = deriveKey(secretKey, 'signin device cookie v1');
  const repo = signinDevicesRepo(db);
  const windowMs = policy.windowMinutes * 60_000;
  const lifetimeMs = policy.days * 86_400_000;
  const tagOf = (agentId: number, nonce: Buffer) =>
    createHmac('sha256', key).update(`parley device ${agentId} `).update(nonce).digest();

  return {
    lifetimeMs,

    /** The device this cookie names, when it was issued to `agent` and is still trusted. */
    async of(
      agent: AgentRow | undefined,
      cookie: string | undefined,
    ): Promise<TrustedDevice | null> {
      const parts = cookie ? COOKIE.exec(cookie) : null;
      if (!agent?.active || !parts) return null;
      const nonce = Buffer.from(parts[1]!, 'base64url');
      const tag = Buffer.from(parts[2]!, 'base64url');
      if (nonce.length !== NONCE_BYTES || tag.length !== 32) return null;
      if (!timingSafeEqual(tag, tagOf(agent.id, nonce))) return null;
      const idHash = idHashOf(nonce);
      const row = await repo.byHash(idHash);
      const at = now().getTime();
      if (!row || Number(row.agent_id) !== agent.id) return null;
      if (row.last_signin_at.getTime() + lifetimeMs <= at) return null;
      const inWindow = row.window_started_at && row.window_started_at.getTime() + windowMs > at;
      return { idHash, agentId: agent.id, cookie: cookie!, failures: inWindow ? row.failures : 0 };
    },

    /** Whether the device's next try is still within its allowance (read only). */
    hasAllowance: (device: TrustedDevice) => device.failures < policy.maxFailures,

    /** Counts a try against the device before it is made; false once it is over its allowance. */
    async reserve(device: TrustedDevice): Promise<boolean> {
      const at = now();
      const count = await repo.addFailure(device.idHash, at, new Date(at.getTime() - windowMs));
      return count <= policy.maxFailures;
    },

    /** Gives back a reserved try that did not fail. */
    release: (device: TrustedDevice) => repo.removeFailure(device.idHash),

    /** After a successful sign-in: the browser's cookie (the same one, refreshed, or a new one). */
    async signedIn(agent: AgentRow, device: TrustedDevice | null): Promise<string> {
      const at = now();
      if (device && device.agentId === agent.id) {
        await repo.signedIn(device.idHash, at);
        return device.cookie;
      }
      const nonce = randomBytes(NONCE_BYTES);
      await repo.insert({
        id_hash: idHashOf(nonce),
        agent_id: agent.id,
        created_at: at,
        last_signin_at: at,
      });
      return `${nonce.toString('base64url')}.${tagOf(agent.id, nonce).toString('base64url')}`;
    },

    /** Ends the trust of every browser of the agent (in the caller's transaction when given). */
    revoke: (agentId: number, trx?: Store) => signinDevicesRepo(trx ?? db).removeForAgent(agentId),

    /** Deletes devices whose trust has run out. */
    purge: () => repo.purge(new Date(now().getTime() - lifetimeMs)),
  };
}

export type TrustedDevices = ReturnType<typeof trustedDevices>;
