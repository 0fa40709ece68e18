import type { TransferTargets, TransferTo } from '../../shared/chatActions.ts';
import { agentsRepo, type AgentRow } from '../../storage/agents.ts';
import { presenceReader } from '../../storage/agentPresence.ts';
import { chatParticipantsRepo } from '../../storage/chatParticipants.ts';
import { chatsRepo, type ChatRow } from '../../storage/chats.ts';
import { departmentsRepo } from '../../storage/departments.ts';
import type { Store } from '../../storage/store.ts';
import { loadGrants } from '../permissions/policy.ts';
import { errors } from '../errors.ts';
import type { ActionAudit, Agent } from './actionAudit.ts';
import type { ChatLines } from './lines.ts';
import { actionErrors } from './rules.ts';

// Transfer (chats.transfer): the owner hands an active chat to an online agent who may accept it,
// or back to a department's queue when someone of it is online. The note is for agents only.

export function transferRules(db: Store, audited: ActionAudit, lines: ChatLines) {
  const presence = presenceReader(db);

  /** The agent who would receive the chat, refused unless they are active, allowed and online. */
  async function receivingAgent(chat: ChatRow, agentId: number): Promise<AgentRow> {
    const agent = await agentsRepo(db).byId(agentId);
    if (!agent || !agent.active) throw actionErrors.agentUnknown();
    const grants = await loadGrants(db, agent);
    if (!grants.covers('chats.accept', { departmentId: chat.department_id, agentId: null }))
      throw actionErrors.agentCannotTake(agent.name);
    if (!(await presence.isOnline(agent.id))) throw actionErrors.agentOffline(agent.name);
    return agent;
  }

  async function toAgent(who: Agent, chat: ChatRow, agentId: number, note: string | undefined) {
    if (agentId === who.agent.id) throw actionErrors.ownChat('transfer');
    const agent = await receivingAgent(chat, agentId);
    await audited.change(who, chat, 'chat.transfer', async (tx) => {
      if (!(await chatsRepo(tx).transfer(chat.id, who.agent.id, agent.id)))
        throw actionErrors.notActive();
      const participants = chatParticipantsRepo(tx);
      await participants.leave(chat.id, who.agent.id, ['owner']);
      await participants.leave(chat.id, agent.id, ['owner', 'joined', 'monitor']);
      await participants.add(chat.id, agent.id, 'owner');
      const details = { from: who.agent.id, to: { agentId: agent.id }, withNote: !!note };
      return { result: undefined, details };
    });
    lines.events.followChat(chat.id, agent.id);
    if (note) await lines.internal(who, chat.id, note);
    await lines.system(chat.id, `${agent.name} has taken over the chat.`);
    await lines.changed(chat.id);
    lines.events.unfollowChat(chat.id, who.agent.id);
  }

  async function toDepartment(
    who: Agent,
    chat: ChatRow,
    departmentId: number,
    note: string | undefined,
  ) {
    const department = await departmentsRepo(db).byId(departmentId);
    if (!department) throw actionErrors.departmentUnknown();
    const online = (await presence.onlineIn(department.id)).filter((id) => id !== who.agent.id);
    if (online.length === 0) throw actionErrors.nobodyOnline(department.name);
    const joined = await audited.change(who, chat, 'chat.transfer', async (tx) => {
      if (!(await chatsRepo(tx).requeue(chat.id, who.agent.id, department.id)))
        throw actionErrors.notActive();
      const participants = chatParticipantsRepo(tx);
      const current = await participants.currentIn([chat.id]);
      // Back in the queue, nobody writes in it until an agent accepts it again.
      await participants.leaveAll(chat.id, ['owner', 'joined']);
      const details = { from: who.agent.id, to: { departmentId: department.id }, withNote: !!note };
      const left = current.filter((p) => p.role === 'joined').map((p) => Number(p.agent_id));
      return { result: left, details };
    });
    if (note) await lines.internal(who, chat.id, note);
    await lines.system(
      chat.id,
      `You are being transferred to ${department.name}; an agent will be with you shortly.`,
    );
    await lines.changed(chat.id);
    for (const agentId of [who.agent.id, ...joined]) lines.events.unfollowChat(chat.id, agentId);
    await lines.requeued(department.id);
  }

  return {
    async transfer(who: Agent, chatId: number, to: TransferTo, note?: string): Promise<void> {
      const chat = await lines.authorize(who, chatId);
      try {
        if (chat.agent_id !== who.agent.id) throw actionErrors.notYours('transfer');
        if (chat.status !== 'active') throw actionErrors.notActive();
        const resource = { departmentId: chat.department_id, agentId: chat.agent_id };
        if (!who.grants.covers('chats.transfer', resource))
          throw errors.forbidden("transfer chats of this chat's department");
      } catch (error) {
        await audited.refused(who, chat, 'chat.transfer', error);
        throw error;
      }
      const run = () =>
        'agentId' in to
          ? toAgent(who, chat, to.agentId, note)
          : toDepartment(who, chat, to.departmentId, note);
      await run().catch(async (error: unknown) => {
        // Refusals before the change (target offline, nobody online) are recorded here.
        await audited.refused(who, chat, 'chat.transfer', error);
        throw error;
      });
    },

    /** Who the chat could go to now: online agents who may accept it, and departments. */
    async targets(who: Agent, chatId: number): Promise<TransferTargets> {
      const chat = await lines.authorize(who, chatId);
      if (chat.agent_id !== who.agent.id) throw actionErrors.notYours('transfer');
      const departments = await departmentsRepo(db).list();
      const agents: TransferTargets['agents'] = [];
      const joiners: TransferTargets['joiners'] = [];
      const resource = { departmentId: chat.department_id, agentId: chat.agent_id };
      for (const id of await presence.onlineAgents()) {
        if (id === who.agent.id) continue;
        const agent = await agentsRepo(db).byId(id);
        if (!agent?.active) continue;
        const grants = await loadGrants(db, agent);
        if (grants.covers('chats.accept', { departmentId: chat.department_id, agentId: null }))
          agents.push({ id: agent.id, name: agent.name });
        if (grants.covers('chats.join', resource)) joiners.push({ id: agent.id, name: agent.name });
      }
      const withOnline = await Promise.all(
        departments.map(async (d) => ({
          id: d.id,
          name: d.name,
          online: (await presence.onlineIn(d.id)).filter((id) => id !== who.agent.id).length,
        })),
      );
      return { agents, joiners, departments: withOnline };
    },
  };
}
