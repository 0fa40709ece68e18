import { createHash, randomBytes } from 'node:crypto';
import type { AgentRow } from '../storage/agents.ts';
import type { Store } from '../storage/store.ts';
import { agentsRepo } from '../storage/agents.ts';
import { HANDLE_BYTES, sessionsRepo, type SessionWithAgentRow } from '../storage/sessions.ts';
import { signinDevicesRepo } from '../storage/signinDevices.ts';
import { signinFailuresRepo } from '../storage/signinFailures.ts';
import { totpRepo } from '../storage/totp.ts';
import type { PasswordHasher } from './passwords.ts';

/** The session cookie, read by both transports. `__Host-` binds it to this exact origin over HTTPS: no Domain, Path=/, Secure. */
export const SESSION_COOKIE = '__Host-parley_session';

export interface SessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
}

/** What a signed-in agent may not do yet: `totp_enrollment` — their role requires TOTP and it is off. */
export type SessionRestriction = 'totp_enrollment' | null;

export interface SignedInAgent {
  agent: AgentRow;
  sessionHash: Buffer;
  restriction: SessionRestriction;
}

export interface Client {
  ip: string;
  userAgent: string;
}

const hashOf = (sessionId: string) => createHash('sha256').update(sessionId).digest();
const newId = () => randomBytes(32).toString('base64url');

/** A session's public name: the first bytes of its stored hash, in hex. It cannot sign anyone in. */
export const handleOf = (sessionHash: Buffer) =>
  sessionHash.subarray(0, HANDLE_BYTES).toString('hex');
export const isHandle = (value: string) =>
  new RegExp(`^[0-9a-f]{${HANDLE_BYTES * 2}}$`).test(value);

export function presentSession(row: SessionWithAgentRow, current: Buffer | undefined) {
  return {
    handle: handleOf(row.id_hash),
    agent: { id: row.agent_id, name: row.agent_name, email: row.agent_email },
    createdAt: row.created_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    ip: row.ip,
    userAgent: row.user_agent,
    current: current !== undefined && row.id_hash.equals(current),
  };
}

export type SessionView = ReturnType<typeof presentSession>;

/** Server-side agent sessions: the cookie holds a random id, the database only its hash. */
export function agentSessions(
  db: Store,
  hasher: PasswordHasher,
  policy: SessionPolicy,
  now = () => new Date(),
) {
  const agents = agentsRepo(db);
  const sessions = sessionsRepo(db);
  const totp = totpRepo(db);
  const idleMs = policy.idleMinutes * 60_000;
  const idleCutoff = (at: Date) => new Date(at.getTime() - idleMs);

  async function insert(agentId: number, client: Client, expiresAt?: Date) {
    const sessionId = newId();
    const sessionHash = hashOf(sessionId);
    const at = now();
    await sessions.insert({
      id_hash: sessionHash,
      agent_id: agentId,
      created_at: at,
      last_seen_at: at,
      expires_at: expiresAt ?? new Date(at.getTime() + policy.absoluteHours * 3_600_000),
      ip: client.ip.slice(0, 45),
      user_agent: client.userAgent.slice(0, 255),
    });
    return { sessionId, sessionHash };
  }

  return {
    hashOf,
    hasher,

    /** Opens a new session with a fresh id (sign-in). */
    open: (agent: AgentRow, client: Client) => insert(agent.id, client),

    /**
     * Replaces a session by one with a new id, for a privilege change: the old id stops working.
     * The absolute lifetime is not extended. Null when the old session is gone.
     */
    async rotate(sessionHash: Buffer, client: Client) {
      const old = await sessions.byHash(sessionHash);
      if (!old) return null;
      const fresh = await insert(old.agent_id, client, old.expires_at);
      await sessions.remove(sessionHash);
      return fresh;
    },

    /**
     * The agent behind a session id, sliding the idle timeout; null when absent or expired. A
     * restricted session (see SessionRestriction) counts only where `allowRestricted` says so.
     */
    async resolve(
      sessionId: string | undefined,
      options: { allowRestricted?: boolean } = {},
    ): Promise<SignedInAgent | null> {
      if (!sessionId || sessionId.length > 100) return null;
      const sessionHash = hashOf(sessionId);
      const session = await sessions.byHash(sessionHash);
      if (!session) return null;
      const at = now();
      if (session.expires_at <= at || at.getTime() - session.last_seen_at.getTime() >= idleMs) {
        await sessions.remove(sessionHash);
        return null;
      }
      const agent = await agents.byId(session.agent_id);
      if (!agent?.active) return null;
      const requirement = await totp.requirement(agent.id, agent.role);
      const restriction: SessionRestriction =
        requirement.required && !requirement.enabled ? 'totp_enrollment' : null;
      if (restriction && !options.allowRestricted) return null;
      // Write at most once a minute: the idle clock needs no finer grain.
      if (at.getTime() - session.last_seen_at.getTime() > 60_000)
        await sessions.touch(sessionHash, at);
      return { agent, sessionHash, restriction };
    },

    signOut: (sessionHash: Buffer) => sessions.remove(sessionHash),
    /** Ends every session of the agent, and the trust of every browser it signed in from. */
    async signOutAgent(agentId: number) {
      await signinDevicesRepo(db).removeForAgent(agentId);
      return sessions.removeForAgent(agentId);
    },

    /** Live sessions, of one agent or of all. */
    list: (agentId?: number) => {
      const at = now();
      return sessions.live(at, idleCutoff(at), agentId);
    },

    /** The live session with this handle (of this agent, when given), or null. */
    async byHandle(handle: string, agentId?: number) {
      if (!isHandle(handle)) return null;
      const rows = await sessions.byHandle(Buffer.from(handle, 'hex'));
      const at = now();
      const row = rows.length === 1 ? rows[0]! : null;
      if (!row || row.expires_at <= at || row.last_seen_at <= idleCutoff(at)) return null;
      return agentId === undefined || row.agent_id === agentId ? row : null;
    },

    /**
     * Deletes expired sessions, sign-ins that waited too long for their code, spent CAPTCHAs,
     * address throttle windows (at most a day long) and failure counts quiet for a day; returns
     * how many sessions.
     */
    purgeExpired: async () => {
      const at = now();
      await totp.purgePending(at);
      await signinFailuresRepo(db).purge(at, new Date(at.getTime() - 86_400_000));
      return sessions.purge(at, idleCutoff(at));
    },
  };
}

export type AgentSessions = ReturnType<typeof agentSessions>;
