import { sessionsRepo } from '../../storage/sessions.ts';
import { transaction } from '../../storage/store.ts';
import { agentsRepo, type AgentRow } from '../../storage/agents.ts';
import { errors } from '../errors.ts';
import { loadPasswordPolicy } from '../passwordPolicy/policy.ts';
import { contentViolations, type PasswordViolation } from '../passwordPolicy/rules.ts';
import { passwordStatus } from '../passwordPolicy/status.ts';
import { recordChange, type AccountServices, type Actor } from './actor.ts';
import {
  generateCompliantPassword,
  historyViolation,
  intervalViolation,
  resetsInLastDay,
  storePassword,
} from './passwords.ts';
import { assertMayManageAgent } from './privileges.ts';

/**
 * An admin resets an agent's password (their own choice or generated): the agent must change it at
 * next sign-in, their sessions end, and it counts against the policy's resets per day.
 */
export async function resetAgentPassword(
  services: AccountServices,
  actor: Actor,
  agentId: number,
  password: string | undefined,
): Promise<string | null> {
  const { db } = services;
  const target = await agentsRepo(db).byId(agentId);
  if (!target) throw errors.notFound('agent');
  assertMayManageAgent(actor, target);
  if (target.id === actor.agent.id) {
    throw errors.forbidden('reset your own password here; use Change password instead');
  }
  const policy = await loadPasswordPolicy(db);
  const owner = { email: target.email, name: target.name };
  const refuse = async (outcome: 'failure' | 'denied', details: Record<string, unknown>) => {
    await recordChange(services, actor, {
      action: 'agent.password_reset',
      outcome,
      target: { kind: 'agent', id: agentId },
      details,
    });
  };
  if (password !== undefined) {
    const violations = await contentViolations(policy, password, owner);
    if (violations.length > 0) {
      await refuse('failure', { rules: violations.map((v) => v.rule) });
      throw errors.passwordRejected(violations);
    }
  }
  const chosen = password ?? (await generateCompliantPassword(policy, owner));
  const hash = await services.passwords.hash(chosen);
  const now = new Date();
  const allowed = await transaction(db, async (trx) => {
    // Lock the agent so two resets at once cannot both pass the daily limit.
    await agentsRepo(trx).lock(agentId);
    const resets = await resetsInLastDay(trx, agentId, now);
    if (resets >= policy.resetsPerDay) return false;
    await storePassword(trx, agentId, hash, 'reset', now);
    await sessionsRepo(trx).removeForAgent(agentId);
    await recordChange(
      services,
      actor,
      {
        action: 'agent.password_reset',
        target: { kind: 'agent', id: agentId },
        details: {
          chosenBy: password === undefined ? 'server' : 'admin',
          resetsToday: resets + 1,
        },
      },
      trx,
    );
    return true;
  });
  if (!allowed) {
    await refuse('denied', { reason: 'daily_limit', limit: policy.resetsPerDay });
    throw errors.passwordResetLimit(policy.resetsPerDay);
  }
  services.disconnectAgent(agentId, 'password_reset', true);
  return password === undefined ? chosen : null;
}

/**
 * The signed-in agent changes their own password: every policy rule is checked and every broken one
 * reported. Clears a forced change; the agent's other sessions end (this one stays).
 */
export async function changeOwnPassword(
  services: AccountServices,
  self: Pick<Actor, 'agent' | 'ip' | 'userAgent'> & { sessionHash: Buffer },
  currentPassword: string,
  newPassword: string,
): Promise<void> {
  const { db } = services;
  const agent = await agentsRepo(db).byId(self.agent.id);
  if (!agent) throw errors.unauthenticated();
  const fail = async (details: Record<string, unknown>) =>
    recordChange(services, self, {
      action: 'agent.password_change',
      outcome: 'failure',
      target: { kind: 'agent', id: agent.id },
      details,
    });
  if (!(await services.passwords.verify(agent.password_hash, currentPassword))) {
    await fail({ reason: 'current_incorrect' });
    throw errors.currentPasswordIncorrect();
  }
  const now = new Date();
  const violations = await allViolations(services, agent, newPassword, now);
  if (violations.length > 0) {
    await fail({ rules: violations.map((v) => v.rule) });
    throw errors.passwordRejected(violations);
  }
  const hash = await services.passwords.hash(newPassword);
  const ended = await transaction(db, async (trx) => {
    await storePassword(trx, agent.id, hash, 'changed', now);
    const others = await sessionsRepo(trx).removeOthers(agent.id, self.sessionHash);
    await recordChange(
      services,
      self,
      {
        action: 'agent.password_change',
        target: { kind: 'agent', id: agent.id },
        details: { othersSignedOut: others.length, wasForced: Boolean(agent.must_change_password) },
      },
      trx,
    );
    return others;
  });
  for (const sessionHash of ended) services.disconnectAgentSession(sessionHash, 'password_changed');
}

/** Every rule the new password breaks: content, reuse, and (for a change nobody forced) the interval. */
async function allViolations(
  services: AccountServices,
  agent: AgentRow,
  password: string,
  now: Date,
): Promise<PasswordViolation[]> {
  const { db } = services;
  const policy = await loadPasswordPolicy(db);
  const forced = (await passwordStatus(db, agent, now)) !== 'ok';
  const found = [
    ...(await contentViolations(policy, password, agent)),
    await historyViolation(db, services.passwords, policy, agent, password),
    forced ? null : await intervalViolation(db, policy, agent.id, now),
  ];
  return found.filter((violation): violation is PasswordViolation => violation !== null);
}
