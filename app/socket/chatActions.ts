import type { Socket } from 'socket.io';
import { z } from 'zod';
import type { Participant } from '../domain/chats/participants.ts';
import type { Services } from '../services.ts';
import { agentRoom, chatRoom } from './delivery.ts';
import { on, type HandlerOptions } from './handle.ts';
import { chatRefSchema, emptySchema, sendSchema } from './schemas.ts';

// The chat actions of issue 14 on the agent socket, each declaring its permission. Leaving and
// stopping a monitor need none: an agent whose permission was withdrawn can still step out.

const id = z.number().int().positive();
export const transferSchema = z.strictObject({
  chatId: id,
  to: z.union([z.strictObject({ agentId: id }), z.strictObject({ departmentId: id })]),
  note: z
    .string()
    .trim()
    .max(1000, 'a note can be at most 1000 characters')
    .optional()
    .transform((value) => (value === '' ? undefined : value)),
});

const inviteSchema = z.strictObject({ chatId: id, agentId: id });

export function agentChatActionEvents(
  socket: Socket,
  options: HandlerOptions,
  who: () => Participant & { kind: 'agent' },
  services: Services,
): void {
  const actions = services.chatActions;
  // A console that connects follows its agent's chats live: owned, joined and monitored.
  actions
    .roomsOf(who().agent.id)
    .then((chatIds) => socket.join(chatIds.map(chatRoom)))
    .catch(() => undefined); // the owner's messages still reach them through their agent room

  on(socket, 'chat:transfer', 'chats.transfer', transferSchema, options, async (input) => {
    await actions.transfer(who(), input.chatId, input.to, input.note);
    return {};
  });
  // The owner's lists for the transfer and invite dialogs.
  on(
    socket,
    'chat:transferTargets',
    ['chats.transfer', 'chats.accept'],
    chatRefSchema,
    options,
    async (input) => ({
      ...(await actions.targets(who(), input.chatId)),
    }),
  );
  // The owner invites; the invited agent's own chat:join is what needs chats.join.
  on(socket, 'chat:invite', 'chats.accept', inviteSchema, options, async (input) => {
    await actions.invite(who(), input.chatId, input.agentId, (agentId, invitation) =>
      socket.nsp.to(agentRoom(agentId)).emit('chat:invited', invitation),
    );
    return {};
  });
  on(socket, 'chat:join', 'chats.join', chatRefSchema, options, async (input) => ({
    ...(await actions.join(who(), input.chatId)),
  }));
  on(socket, 'chat:leave', 'signedIn', chatRefSchema, options, async (input) => {
    await actions.leave(who(), input.chatId);
    return {};
  });
  on(socket, 'chat:monitor', 'chats.monitor', chatRefSchema, options, async (input) => ({
    ...(await actions.monitor(who(), input.chatId)),
  }));
  on(socket, 'chat:unmonitor', 'signedIn', chatRefSchema, options, async (input) => {
    await actions.unmonitor(who(), input.chatId);
    return {};
  });
  // Only someone in the chat whispers: its owner (chats.accept), a joined agent, or a monitor.
  on(
    socket,
    'message:whisper',
    ['chats.accept', 'chats.join', 'chats.monitor'],
    sendSchema(services.config.env.PARLEY_MESSAGE_MAX_CHARS),
    options,
    async (input) => ({
      message: await actions.whisper(who(), input.chatId, input.clientId, input.body),
    }),
  );
  on(socket, 'chat:following', 'signedIn', emptySchema, options, async () => ({
    chats: await actions.following(who()),
  }));
  on(socket, 'chats:active', ['chats.monitor', 'chats.join'], emptySchema, options, async () => ({
    chats: await actions.active(who()),
  }));
}
