import type { Socket } from 'socket.io-client';
import type { AgentClientEvents, AgentServerEvents } from '../../../app/shared/protocol.ts';
import { request, type EventInput, type EventReply } from '../../shared/acks.ts';

/** The console's one socket, for a console area that keeps its own state (agent chat, issue 14). */
export function socketArea(socket: Socket<AgentServerEvents, AgentClientEvents>) {
  return {
    request: <E extends keyof AgentClientEvents>(
      event: E,
      input: EventInput<AgentClientEvents[E]>,
    ): Promise<EventReply<AgentClientEvents[E]>> =>
      request<AgentClientEvents, E>(socket, event, input),
    on: <E extends keyof AgentServerEvents>(event: E, listener: AgentServerEvents[E]): void => {
      (socket as unknown as Socket).on(event, listener as never);
    },
    /** Runs now if connected, and on every (re)connect. */
    onConnect: (listener: () => void): void => {
      socket.on('connect', listener);
      if (socket.connected) listener();
    },
  };
}

export type SocketArea = ReturnType<typeof socketArea>;
