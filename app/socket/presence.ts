import type { Socket } from 'socket.io';
import { z } from 'zod';
import type { StatusActor } from '../domain/availability/availability.ts';
import { colleagues, liveBoard, mayMonitorAgent } from '../domain/availability/board.ts';
import type { Participant } from '../domain/chats/participants.ts';
import { errors } from '../domain/errors.ts';
import { describeError } from '../log.ts';
import { AGENT_STATUSES } from '../shared/presence.ts';
import type { Services } from '../services.ts';
import { on, type HandlerOptions } from './handle.ts';
import { presenceRooms } from './presenceDelivery.ts';
import { emptySchema } from './schemas.ts';

// Availability events of the agent namespace (issue 14): the agent's own status, activity reports,
// the live board (chats.monitor) and the Agents panel (chats.accept or chats.agent_chat).

const statusSchema = z.strictObject({ status: z.enum(AGENT_STATUSES) });
const setForSchema = z.strictObject({
  agentId: z.number().int().positive(),
  status: z.enum(AGENT_STATUSES),
});

export function agentPresenceEvents(
  socket: Socket,
  options: HandlerOptions,
  who: () => Participant & { kind: 'agent' },
  services: Services,
  sessionHash: Buffer,
): void {
  const availability = services.availability;
  const agentId = who().agent.id;
  const by = (): StatusActor => {
    const { agent, source } = who();
    return { actor: { kind: 'agent', id: agent.id, label: agent.email }, source };
  };
  const failed = (what: string) => (error: unknown) =>
    options.log.error({ err: describeError(error) }, `presence ${what} failed`);

  void socket.join(presenceRooms(who().grants));
  // The socket's own status events wait for its connection to be recorded, so they follow it.
  const recorded = availability
    .connected({ id: socket.id, sessionHash }, agentId, by())
    .catch(failed('connect'));
  socket.on('disconnect', () => {
    void recorded.then(() =>
      availability.disconnected(socket.id, agentId).catch(failed('disconnect')),
    );
  });

  on(socket, 'presence:get', 'signedIn', emptySchema, options, async () => {
    await recorded;
    return { presence: await availability.view(agentId) };
  });
  on(socket, 'presence:set', 'signedIn', statusSchema, options, async (input) => {
    await recorded;
    return { presence: await availability.choose(agentId, input.status, by()) };
  });
  on(socket, 'presence:activity', 'signedIn', emptySchema, options, async () => {
    await recorded;
    await availability.activity(agentId, by());
    return {};
  });
  on(socket, 'presence:setFor', 'chats.monitor', setForSchema, options, async (input) => {
    if (!(await mayMonitorAgent(services.db, who().grants, input.agentId)))
      throw errors.notFound('agent');
    return { presence: await availability.setFor(input.agentId, input.status, by()) };
  });
  on(socket, 'board:get', 'chats.monitor', emptySchema, options, async () => ({
    board: await liveBoard(services.db, who().grants),
  }));
  on(
    socket,
    'colleagues:list',
    ['chats.accept', 'chats.agent_chat'],
    emptySchema,
    options,
    async () => ({ colleagues: await colleagues(services.db, who().grants) }),
  );
}
