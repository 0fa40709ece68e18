import type { Ack, SecureFormSubmission } from '../../app/shared/protocol.ts';
import { createAgentKey, openFromVisitor, type CardDetails } from './secureFormCrypto.ts';

export type SecureFormState =
  | { step: 'waiting'; formId: string }
  | { step: 'received'; formId: string; details: CardDetails }
  | { step: 'failed'; message: string };

interface Held {
  privateKey: CryptoKey;
  formId: string;
}

/**
 * The agent console's secure-form keys (issue 6): one ephemeral, non-extractable ECDH private key per
 * chat, in this page's memory only. Forgetting a chat (it ended, or was closed) drops the key and the
 * values; closing the page drops everything. Nothing here is ever written to storage.
 */
export class SecureFormVault {
  states: Record<number, SecureFormState> = $state({});
  // Not reactive on purpose: keys never reach the screen.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #keys = new Map<number, Held>();
  readonly #request: (chatId: number, publicKey: string) => Promise<Ack<{ formId: string }>>;

  constructor(request: (chatId: number, publicKey: string) => Promise<Ack<{ formId: string }>>) {
    this.#request = request;
  }

  async request(chatId: number): Promise<void> {
    try {
      const key = await createAgentKey();
      const reply = await this.#request(chatId, key.publicKey);
      if (!reply.ok) {
        this.states[chatId] = { step: 'failed', message: reply.error.message };
        return;
      }
      this.#keys.set(chatId, { privateKey: key.privateKey, formId: reply.formId });
      this.states[chatId] = { step: 'waiting', formId: reply.formId };
    } catch {
      this.states[chatId] = { step: 'failed', message: 'The secure form could not be requested.' };
    }
  }

  async receive(submission: SecureFormSubmission): Promise<void> {
    const held = this.#keys.get(submission.chatId);
    if (!held || held.formId !== submission.formId) return; // an old form, or another tab's
    try {
      const details = await openFromVisitor(
        held.privateKey,
        submission.chatId,
        submission.formId,
        submission,
      );
      this.states[submission.chatId] = { step: 'received', formId: submission.formId, details };
    } catch {
      this.states[submission.chatId] = {
        step: 'failed',
        message: 'The card details could not be opened.',
      };
    }
  }

  /** The chat ended or left the screen: its key and any values are gone for good. */
  forget(chatId: number): void {
    this.#keys.delete(chatId);
    delete this.states[chatId];
  }

  forgetAll(): void {
    this.#keys.clear();
    this.states = {};
  }
}
