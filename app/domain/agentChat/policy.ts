import { ParleyError } from '../errors.ts';
import type { Grants } from '../permissions/policy.ts';

// Who may talk to whom (issue 14). A direct conversation: both agents hold chats.agent_chat, and
// the opener's grant covers the colleague (one of the colleague's departments, or the colleague
// through a group, or scope "all"). A department room: its members (agent_departments) whose
// grant covers that department. Nobody else reads a room, the built-in admin included: agent
// chat is the agents' own conversation, not a transcript (see README.md here).

export const agentChatErrors = {
  conversationNotFound: () =>
    new ParleyError(
      'conversation_not_found',
      404,
      'No such conversation, or you are not in it: open a direct chat with a colleague, or a room of your department.',
    ),
  colleagueNotFound: () =>
    new ParleyError(
      'colleague_not_found',
      404,
      'No such colleague you may chat with: they must be active, hold the chats.agent_chat permission, and be within your grant.',
    ),
  notYourself: () =>
    new ParleyError(
      'invalid_input',
      400,
      'A direct conversation is with a colleague, not yourself.',
    ),
};

/** Whether these grants let their holder chat with a colleague in these departments. */
export function mayMessage(
  grants: Grants,
  colleague: { id: number; departments: number[] },
): boolean {
  if (colleague.id === grants.agentId) return false;
  const scopes = [null, ...colleague.departments].map((departmentId) => ({
    departmentId,
    agentId: colleague.id,
  }));
  return scopes.some((resource) => grants.covers('chats.agent_chat', resource));
}

/** Whether a member of these departments may read and write a department's room. */
export function mayUseRoom(grants: Grants, memberOf: number[], departmentId: number): boolean {
  return (
    memberOf.includes(departmentId) &&
    grants.covers('chats.agent_chat', { departmentId, agentId: null })
  );
}

/** The rooms these grants may use, of the departments the agent belongs to. */
export const roomsOf = (grants: Grants, memberOf: number[]): number[] =>
  memberOf.filter((departmentId) => mayUseRoom(grants, memberOf, departmentId));
