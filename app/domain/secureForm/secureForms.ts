import { randomUUID } from 'node:crypto';
import type { SecureFormOffer, SecureFormSubmission } from '../../shared/protocol.ts';
import type { LockedChat } from '../../storage/messageWriter.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { ChatService } from '../chats/chats.ts';
import type { Participant } from '../chats/participants.ts';
import { errors } from '../errors.ts';

/** A requested form: only who may answer it and where; never any of the card data. */
interface OpenForm {
  formId: string;
  chatId: number;
  agentId: number;
  visitorId: string;
  publicKey: string;
  openedAt: number;
}

/** Where the relay sends things; the socket layer implements it. */
export interface SecureFormDelivery {
  toVisitor(visitorId: string, offer: SecureFormOffer): void;
  toAgent(agentId: number, submission: SecureFormSubmission): void;
}

const OPEN_FOR_MS = 30 * 60_000;
const MAX_OPEN = 10_000;

/**
 * The PCI secure form: the agent's console sends a public key, the widget answers with data encrypted to
 * it, Parley relays the ciphertext to the agent's sockets and keeps nothing of it. The transcript and the
 * audit log record only that a form was requested and submitted, by whom and when.
 * Open forms live in this process's memory: a restart closes them (the agent asks again).
 */
export function secureForms(chats: ChatService, audit: AuditLog, delivery: SecureFormDelivery) {
  const open = new Map<string, OpenForm>();

  function sweep(now = Date.now()) {
    for (const [id, form] of open) if (now - form.openedAt > OPEN_FOR_MS) open.delete(id);
  }

  /** The chat must still be active and handled by the agent who asked. */
  const stillTheirs =
    (agentId: number) =>
    (chat: LockedChat | undefined): Error | null => {
      if (!chat || chat.agent_id !== agentId) return errors.chatNotFound();
      return chat.status === 'active' ? null : errors.chatEnded();
    };

  return {
    async request(
      who: Participant & { kind: 'agent' },
      chatId: number,
      publicKey: string,
    ): Promise<{ formId: string }> {
      const chat = await chats.authorize(who, chatId);
      if (chat.agent_id !== who.agent.id)
        throw errors.forbidden('request card details in a chat you have not accepted');
      if (chat.status !== 'active') throw errors.chatEnded();
      sweep();
      if (open.size >= MAX_OPEN) throw errors.unavailable('The secure form');
      const formId = randomUUID();
      await chats.note(
        chat.id,
        `secure-form-${formId.replaceAll('-', '_')}-requested`,
        `${who.agent.name} requested card details through the secure form.`,
        stillTheirs(who.agent.id),
      );
      await audit.record({
        actor: { kind: 'agent', id: who.agent.id, label: who.agent.email },
        action: 'secure_form.request',
        outcome: 'success',
        target: { kind: 'chat', id: chat.id },
        departmentId: chat.department_id,
        ip: who.source?.ip,
        userAgent: who.source?.userAgent,
        details: { formId },
      });
      const form = {
        formId,
        chatId: chat.id,
        agentId: who.agent.id,
        visitorId: chat.visitor_id,
        publicKey,
        openedAt: Date.now(),
      };
      open.set(formId, form);
      delivery.toVisitor(chat.visitor_id, { chatId: chat.id, formId, publicKey });
      return { formId };
    },

    /** The forms waiting for this visitor in a chat (after a reload of the page). */
    async pending(visitorId: string, chatId: number): Promise<SecureFormOffer[]> {
      const chat = await chats.authorize({ kind: 'visitor', visitorId }, chatId);
      sweep();
      if (chat.status !== 'active') return [];
      return [...open.values()]
        .filter(
          (form) =>
            form.chatId === chat.id &&
            form.visitorId === visitorId &&
            form.agentId === chat.agent_id,
        )
        .map(({ chatId: id, formId, publicKey }) => ({ chatId: id, formId, publicKey }));
    },

    /** Relays the visitor's ciphertext to the agent's sockets; records only that it was submitted. */
    async submit(visitorId: string, submission: SecureFormSubmission): Promise<void> {
      const form = open.get(submission.formId);
      if (!form || form.visitorId !== visitorId || form.chatId !== submission.chatId)
        throw errors.secureFormNotFound();
      const chat = await chats.authorize({ kind: 'visitor', visitorId }, form.chatId);
      open.delete(form.formId); // one answer per form
      if (chat.status !== 'active' || chat.agent_id !== form.agentId)
        throw errors.secureFormNotFound();
      delivery.toAgent(form.agentId, { ...submission, chatId: form.chatId, formId: form.formId });
      await chats.note(
        chat.id,
        `secure-form-${form.formId.replaceAll('-', '_')}-submitted`,
        'The visitor submitted the secure form.',
        stillTheirs(form.agentId),
      );
      await audit.record({
        actor: { kind: 'visitor', id: visitorId },
        action: 'secure_form.submit',
        outcome: 'success',
        target: { kind: 'chat', id: chat.id },
        departmentId: chat.department_id,
        details: { formId: form.formId },
      });
    },
  };
}

export type SecureForms = ReturnType<typeof secureForms>;
