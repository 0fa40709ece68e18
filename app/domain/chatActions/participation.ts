import type { ActiveChatEntry, FollowReply, FollowedChat } from '../../shared/chatActions.ts';
import type { MessageView } from '../../shared/protocol.ts';
import { chatParticipantsRepo } from '../../storage/chatParticipants.ts';
import { chatsRepo, type ChatRow } from '../../storage/chats.ts';
import { ClientIdConflict } from '../../storage/messageWriter.ts';
import type { Store } from '../../storage/store.ts';
import type { ChatService } from '../chats/chats.ts';
import { errors } from '../errors.ts';
import type { Permission } from '../../shared/permissions.ts';
import { presentChat } from '../presenters.ts';
import type { ActionAudit, Agent } from './actionAudit.ts';
import type { ChatLines } from './lines.ts';
import { actionErrors, mayWhisper } from './rules.ts';

// Join (chats.join: a second agent writes with the owner; the visitor sees them), monitor
// (chats.monitor: a live, silent view) and whisper (a line only agents see).

export function participationRules(
  db: Store,
  chats: ChatService,
  audited: ActionAudit,
  lines: ChatLines,
) {
  const participants = chatParticipantsRepo(db);

  /** The open chats this agent joined or monitors (the console adopts them on reconnect). */
  async function following(who: Agent): Promise<FollowedChat[]> {
    const followed: FollowedChat[] = [];
    for (const chatId of await participants.openChatsOf(who.agent.id)) {
      const chat = await chatsRepo(db).byId(chatId);
      const role = await participants.roleOf(chatId, who.agent.id);
      if (chat && (role === 'joined' || role === 'monitor'))
        followed.push({ chat: presentChat(chat), role });
    }
    return followed;
  }

  /** Whether the visitor is told this agent is typing: the chat's owner, or an agent who joined it. */
  async function speaksToVisitor(chat: ChatRow, agentId: number): Promise<boolean> {
    if (chat.status !== 'active') return false;
    if (chat.agent_id === agentId) return true;
    return (await participants.roleOf(chat.id, agentId)) === 'joined';
  }

  /** The chat, if this permission covers it; refused (and audited) as if absent otherwise. */
  async function covered(
    who: Agent,
    chatId: number,
    permission: Permission,
    action: 'chat.join' | 'chat.monitor',
  ) {
    const chat = await chatsRepo(db).byId(chatId);
    if (!chat) throw errors.chatNotFound();
    try {
      const resource = { departmentId: chat.department_id, agentId: chat.agent_id };
      if (!who.grants.covers(permission, resource)) throw errors.chatNotFound();
      if (chat.agent_id === who.agent.id) throw actionErrors.ownChat(action.slice(5));
      if (chat.status !== 'active') throw actionErrors.notActive();
    } catch (error) {
      await audited.refused(who, chat, action, error);
      throw error;
    }
    return chat;
  }

  /** Adds the agent to the chat in this role (under the chat's row lock), with its audit entry. */
  async function follow(
    who: Agent,
    chat: ChatRow,
    role: 'joined' | 'monitor',
  ): Promise<FollowReply> {
    const action = role === 'joined' ? 'chat.join' : 'chat.monitor';
    await audited.change(who, chat, action, async (tx) => {
      const locked = await chatsRepo(tx).lock(chat.id);
      if (locked?.status !== 'active' || locked.agent_id === who.agent.id)
        throw actionErrors.notActive();
      const repo = chatParticipantsRepo(tx);
      const current = await repo.roleOf(chat.id, who.agent.id);
      if (current === role || current === 'joined') throw actionErrors.alreadyIn(current);
      // A monitor who joins stops being silent: one role at a time.
      if (current) await repo.leave(chat.id, who.agent.id, [current]);
      await repo.add(chat.id, who.agent.id, role);
      return { result: undefined, details: { role, ...(current ? { was: current } : {}) } };
    });
    lines.events.followChat(chat.id, who.agent.id);
    if (role === 'joined') await lines.system(chat.id, `${who.agent.name} has joined the chat.`);
    const synced = await chats.sync(who, chat.id, 0);
    return { chat: synced.chat, role, messages: synced.messages };
  }

  async function unfollow(who: Agent, chatId: number, role: 'joined' | 'monitor') {
    const action = role === 'joined' ? 'chat.leave' : 'chat.unmonitor';
    const chat = await chatsRepo(db).byId(chatId);
    if (!chat) throw errors.chatNotFound();
    await audited.change(who, chat, action, async (tx) => {
      await chatsRepo(tx).lock(chat.id);
      if (!(await chatParticipantsRepo(tx).leave(chat.id, who.agent.id, [role])))
        throw actionErrors.notJoined(role === 'joined' ? 'a participant in' : 'monitoring');
      return { result: undefined, details: { role } };
    });
    lines.events.unfollowChat(chat.id, who.agent.id);
    if (role === 'joined' && chat.status !== 'ended')
      await lines.system(chat.id, `${who.agent.name} has left the chat.`);
  }

  return {
    speaksToVisitor,
    join: async (who: Agent, chatId: number) =>
      follow(who, await covered(who, chatId, 'chats.join', 'chat.join'), 'joined'),
    leave: (who: Agent, chatId: number) => unfollow(who, chatId, 'joined'),
    monitor: async (who: Agent, chatId: number) =>
      follow(who, await covered(who, chatId, 'chats.monitor', 'chat.monitor'), 'monitor'),
    unmonitor: (who: Agent, chatId: number) => unfollow(who, chatId, 'monitor'),

    /** A line only agents see, by the owner, a joined agent or a monitor; never to the visitor. */
    async whisper(
      who: Agent,
      chatId: number,
      clientId: string,
      body: string,
    ): Promise<MessageView> {
      const chat = await chatsRepo(db).byId(chatId);
      if (!chat) throw errors.chatNotFound();
      try {
        const { message, created } = await lines.append({
          chatId,
          clientId,
          author: 'agent',
          authorAgentId: who.agent.id,
          authorName: who.agent.name,
          body,
          internal: true,
          check: mayWhisper(who.agent.id),
        });
        if (created) await audited.done(who, chat, 'chat.whisper', { seq: message.seq });
        return message;
      } catch (error) {
        await audited.refused(who, chat, 'chat.whisper', error);
        if (error instanceof ClientIdConflict) throw actionErrors.clientIdTaken();
        throw error;
      }
    },

    following,

    /** Chats in progress that this agent may monitor or join, other than their own. */
    async active(who: Agent): Promise<ActiveChatEntry[]> {
      const mine = new Map<number, 'joined' | 'monitor'>();
      for (const followed of await following(who)) mine.set(followed.chat.id, followed.role);
      return (await chatsRepo(db).active())
        .filter((chat) => chat.agent_id !== who.agent.id)
        .filter((chat) =>
          (['chats.monitor', 'chats.join'] as const).some((p) =>
            who.grants.covers(p, { departmentId: chat.department_id, agentId: chat.agent_id }),
          ),
        )
        .map((chat) => ({
          chat: presentChat(chat),
          agentId: chat.agent_id,
          departmentId: chat.department_id,
          role: mine.get(chat.id) ?? null,
        }));
    },

    /** The chat rooms an agent's new console socket joins: their own chats and those they follow. */
    async roomsOf(agentId: number): Promise<number[]> {
      const owned = (await chatsRepo(db).forAgent(agentId, 'active')).map((chat) => chat.id);
      return [...new Set([...owned, ...(await participants.openChatsOf(agentId))])];
    },
  };
}
