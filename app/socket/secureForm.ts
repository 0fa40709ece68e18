import type { Namespace, Socket } from 'socket.io';
import { z } from 'zod';
import type { Participant } from '../domain/chats/participants.ts';
import { secureForms, type SecureForms } from '../domain/secureForm/secureForms.ts';
import type { Services } from '../services.ts';
import { agentRoom, visitorRoom } from './delivery.ts';
import { on, type HandlerOptions } from './handle.ts';

// Raw P-256 public keys are 65 bytes (87 base64url characters); AES-GCM nonces 12 bytes (16).
const base64url = (length: { min: number; max: number }) =>
  z
    .string()
    .min(length.min)
    .max(length.max)
    .regex(/^[A-Za-z0-9_-]+$/, 'base64url only');
const publicKey = base64url({ min: 87, max: 87 });
const chatId = z.number().int().positive();

export const secureFormRequestSchema = z.strictObject({ chatId, publicKey });
export const secureFormSubmitSchema = z.strictObject({
  chatId,
  formId: z.uuid(),
  publicKey,
  iv: base64url({ min: 16, max: 16 }),
  // Number, expiry, name and CVC fit in well under a kilobyte.
  ciphertext: base64url({ min: 24, max: 2048 }),
});

// One relay per running Parley: the visitor and agent namespaces share its open forms.
const relays = new WeakMap<Services, SecureForms>();

function relayFor(services: Services, visitors: Namespace, agents: Namespace): SecureForms {
  let relay = relays.get(services);
  if (!relay) {
    relay = secureForms(services.chats, services.audit, {
      toVisitor: (visitorId, offer) =>
        visitors.to(visitorRoom(visitorId)).emit('secureForm:requested', offer),
      toAgent: (agentId, submission) =>
        agents.to(agentRoom(agentId)).emit('secureForm:submitted', submission),
    });
    relays.set(services, relay);
  }
  return relay;
}

/** The agent's side: request the form (it needs the `chats.secure_form` permission). */
export function agentSecureFormEvents(
  socket: Socket,
  options: HandlerOptions,
  who: () => Participant & { kind: 'agent' },
  services: Services,
  visitors: Namespace,
): void {
  const relay = relayFor(services, visitors, socket.nsp);
  on(socket, 'secureForm:request', 'chats.secure_form', secureFormRequestSchema, options, (input) =>
    relay.request(who(), input.chatId, input.publicKey),
  );
}

/** The visitor's side: the forms waiting for them, and the encrypted answer. */
export function visitorSecureFormEvents(
  socket: Socket,
  options: HandlerOptions,
  visitorId: string,
  services: Services,
  agents: Namespace,
): void {
  const relay = relayFor(services, socket.nsp, agents);
  on(
    socket,
    'secureForm:pending',
    'visitor',
    z.strictObject({ chatId }),
    options,
    async (input) => ({
      forms: await relay.pending(visitorId, input.chatId),
    }),
  );
  on(socket, 'secureForm:submit', 'visitor', secureFormSubmitSchema, options, async (input) => {
    await relay.submit(visitorId, input);
    return {};
  });
}
