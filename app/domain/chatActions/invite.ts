import type { Invitation } from '../../shared/chatActions.ts';
import { agentsRepo } from '../../storage/agents.ts';
import { presenceReader } from '../../storage/agentPresence.ts';
import type { Store } from '../../storage/store.ts';
import { loadGrants } from '../permissions/policy.ts';
import { presentChat } from '../presenters.ts';
import type { ActionAudit, Agent } from './actionAudit.ts';
import type { ChatLines } from './lines.ts';
import { actionErrors } from './rules.ts';

/** Delivers an invitation to one agent's consoles; the transport decides how. */
export type InvitationSink = (agentId: number, invitation: Invitation) => void;

// Invite to join: the owner asks an online colleague whose chats.join covers the chat to join it.
// The invitation only offers; joining is the colleague's own chat:join, checked and audited there.

export function inviteRules(db: Store, audited: ActionAudit, lines: ChatLines) {
  const presence = presenceReader(db);
  return {
    async invite(who: Agent, chatId: number, agentId: number, deliver: InvitationSink) {
      const chat = await lines.authorize(who, chatId);
      const resource = { departmentId: chat.department_id, agentId: chat.agent_id };
      try {
        if (chat.agent_id !== who.agent.id) throw actionErrors.notYours('invite others to');
        if (chat.status !== 'active') throw actionErrors.notActive();
        if (agentId === who.agent.id) throw actionErrors.ownChat('invite yourself to');
        const agent = await agentsRepo(db).byId(agentId);
        if (!agent || !agent.active) throw actionErrors.agentUnknown();
        if (!(await loadGrants(db, agent)).covers('chats.join', resource))
          throw actionErrors.agentCannotJoin(agent.name);
        if (!(await presence.isOnline(agent.id))) throw actionErrors.agentOffline(agent.name);
        await audited.done(who, chat, 'chat.invite', { invited: agent.id });
        deliver(agent.id, { chat: presentChat(chat), from: who.agent.name });
      } catch (error) {
        await audited.refused(who, chat, 'chat.invite', error);
        throw error;
      }
    },
  };
}
