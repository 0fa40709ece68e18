import type { Socket } from 'socket.io';
import { z } from 'zod';
import type { Participant } from '../domain/chats/participants.ts';
import type { Services } from '../services.ts';
import { on, type HandlerOptions } from './handle.ts';
import { emptySchema } from './schemas.ts';

// Routing's agent events (issue 14): an offered agent refuses with a reason, or lists open offers
// (a console that reconnects). Accepting an offer is `chat:accept`.

export const refuseSchema = z.strictObject({
  chatId: z.number().int().positive(),
  reason: z
    .string()
    .trim()
    .min(1, 'say why you refuse the chat')
    .max(500, 'a reason can be at most 500 characters'),
});

export function agentRoutingEvents(
  socket: Socket,
  options: HandlerOptions,
  who: () => Participant & { kind: 'agent' },
  services: Services,
): void {
  on(socket, 'chat:refuse', 'chats.refuse', refuseSchema, options, async (input) => {
    await services.routing.refuse(who(), input.chatId, input.reason);
    return {};
  });
  on(socket, 'offer:list', 'chats.accept', emptySchema, options, async () => ({
    offers: await services.routing.offersFor(who().agent.id),
  }));
}
