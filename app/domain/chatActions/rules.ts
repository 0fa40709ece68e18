import { errors, ParleyError } from '../errors.ts';
import { takesPart, type Writable } from '../chats/participants.ts';

// What the chat actions refuse, each with a stable id and a message that says what to do.

export const actionErrors = {
  notParticipant: () =>
    new ParleyError(
      'not_participant',
      403,
      'You do not take part in this chat: join or monitor it before whispering.',
    ),
  notActive: () =>
    new ParleyError(
      'chat_not_active',
      409,
      'This chat is not in progress with an agent; only an active chat can be transferred, joined or monitored.',
    ),
  notYours: (what: string) =>
    new ParleyError('forbidden', 403, `You can only ${what} a chat you are handling.`),
  ownChat: (what: string) =>
    new ParleyError('own_chat', 409, `This chat is already yours; there is nothing to ${what}.`),
  alreadyIn: (role: string) =>
    new ParleyError('already_participant', 409, `You already take part in this chat (${role}).`),
  notJoined: (what: string) =>
    new ParleyError('not_participant', 409, `You are not ${what} this chat.`),
  agentUnknown: () =>
    new ParleyError('agent_not_found', 404, 'No such agent, or the account is deactivated.'),
  agentCannotTake: (name: string) =>
    new ParleyError(
      'transfer_target_not_allowed',
      409,
      `${name} may not accept chats of this chat's department; choose another agent or transfer to the department.`,
    ),
  agentCannotJoin: (name: string) =>
    new ParleyError(
      'invitee_not_allowed',
      409,
      `${name} may not join chats of this chat's department; invite someone who may.`,
    ),
  agentOffline: (name: string) =>
    new ParleyError(
      'transfer_target_offline',
      409,
      `${name} is not online; choose an online agent or transfer to the department.`,
    ),
  departmentUnknown: () => new ParleyError('department_not_found', 404, 'No such department.'),
  nobodyOnline: (department: string) =>
    new ParleyError(
      'department_nobody_online',
      409,
      `Nobody is online in ${department}; choose another department or an online agent.`,
    ),
  clientIdTaken: () =>
    new ParleyError(
      'client_id_taken',
      409,
      'This client id is already used by another message of this chat; send with a new one.',
    ),
};

/** Who may whisper (only agents see it): the owner, a joined agent, or a monitor, while the chat is open. */
export function mayWhisper(agentId: number) {
  return (chat: Writable | undefined): Error | null => {
    if (!chat) return errors.chatNotFound();
    const inIt = chat.agent_id === agentId || takesPart(chat, agentId, ['joined', 'monitor']);
    if (!inIt) return actionErrors.notParticipant();
    return chat.status === 'ended' ? errors.chatEnded() : null;
  };
}
