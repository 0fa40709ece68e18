import type { Socket } from 'socket.io-client';
import { ACK_TIMEOUT_MS } from './constants.ts';

/** The input of an acknowledged client event, e.g. `ChatRef` for `chat:end`. */
export type EventInput<F> = F extends (input: infer I, ack: never) => void ? I : never;
/** The acknowledgement of a client event, e.g. `Ack<{ chat: ChatView }>` for `chat:end`. */
export type EventReply<F> = F extends (input: never, ack: (reply: infer R) => void) => void
  ? R
  : never;

/**
 * Emits an event and resolves with its acknowledgement, rejecting after ACK_TIMEOUT_MS.
 * Socket.IO types `timeout().emitWithAck()` replies as `any`, so the reply type is restored here.
 */
export function request<Events, E extends keyof Events & string>(
  socket: Socket,
  event: E,
  input: EventInput<Events[E]>,
): Promise<EventReply<Events[E]>> {
  return socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, input) as Promise<EventReply<Events[E]>>;
}
