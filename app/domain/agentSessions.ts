import { createHash, randomBytes } from 'node:crypto';
import type { AgentRow } from '../storage/agents.ts';
import type { Db } from '../storage/db.ts';
import { agentsRepo } from '../storage/agents.ts';
import { sessionsRepo } from '../storage/sessions.ts';
import { errors } from './errors.ts';
import type { PasswordHasher } from './passwords.ts';

export interface SessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
}

export interface SignedInAgent {
  agent: AgentRow;
  sessionHash: Buffer;
}

const hashOf = (sessionId: string) => createHash('sha256').update(sessionId).digest();

export function agentSessions(
  db: Db,
  hasher: PasswordHasher,
  policy: SessionPolicy,
  now = () => new Date(),
) {
  const agents = agentsRepo(db);
  const sessions = sessionsRepo(db);
  const idleMs = policy.idleMinutes * 60_000;

  return {
    hashOf,
    /** Checks the password and opens a new session; the same answer whether the account exists or not. */
    async signIn(email: string, password: string, client: { ip: string; userAgent: string }) {
      const agent = await agents.byEmail(email);
      const valid = await hasher.verify(agent?.active ? agent.password_hash : undefined, password);
      if (!agent || !valid) throw errors.invalidCredentials();
      if (hasher.needsRehash(agent.password_hash)) {
        await agents.updatePasswordHash(agent.id, await hasher.hash(password));
      }
      const sessionId = randomBytes(32).toString('base64url');
      const at = now();
      await sessions.insert({
        id_hash: hashOf(sessionId),
        agent_id: agent.id,
        created_at: at,
        last_seen_at: at,
        expires_at: new Date(at.getTime() + policy.absoluteHours * 3_600_000),
        ip: client.ip.slice(0, 45),
        user_agent: client.userAgent.slice(0, 255),
      });
      return { sessionId, agent };
    },
    /** The agent behind a session id, sliding the idle timeout; null when absent or expired. */
    async resolve(sessionId: string | undefined): Promise<SignedInAgent | null> {
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
      // Write at most once a minute: the idle clock needs no finer grain.
      if (at.getTime() - session.last_seen_at.getTime() > 60_000)
        await sessions.touch(sessionHash, at);
      return { agent, sessionHash };
    },
    signOut: (sessionHash: Buffer) => sessions.remove(sessionHash),
    purgeExpired: () => {
      const at = now();
      return sessions.purge(at, new Date(at.getTime() - idleMs));
    },
  };
}

export type AgentSessions = ReturnType<typeof agentSessions>;
