import type { Ack, SecureFormOffer, SecureFormSubmission } from '../../app/shared/protocol.ts';
import { checkCard, normalizedCard, type CardProblems } from './secureFormCard.ts';
import { sealForAgent, type CardDetails } from './secureFormCrypto.ts';

export interface SecureFormTransport {
  pending(chatId: number): Promise<Ack<{ forms: SecureFormOffer[] }>>;
  submit(submission: SecureFormSubmission): Promise<Ack<Record<string, never>>>;
}

/**
 * The widget's side of the secure form (issue 6): the open request, if any, and sending the answer
 * encrypted to the agent's key. The typed values stay in the form component; nothing is kept here.
 */
export class VisitorSecureForm {
  offer: SecureFormOffer | null = $state(null);
  problems: CardProblems = $state({});
  error: string | null = $state(null);
  busy = $state(false);
  /** Set after a successful submission, for the confirmation. */
  sent = $state(false);
  readonly #transport: SecureFormTransport;

  constructor(transport: SecureFormTransport) {
    this.#transport = transport;
  }

  receive(offer: SecureFormOffer, currentChatId: number | undefined): void {
    if (offer.chatId !== currentChatId) return;
    this.offer = offer;
    this.sent = false;
    this.error = null;
    this.problems = {};
  }

  /** After a (re)connect: a request made while the page was away. */
  async load(chatId: number): Promise<void> {
    try {
      const reply = await this.#transport.pending(chatId);
      const offer = reply.ok ? reply.forms.at(-1) : undefined;
      if (offer) this.receive(offer, chatId);
    } catch {
      // Best effort: the agent can ask again.
    }
  }

  clear(): void {
    this.offer = null;
    this.problems = {};
    this.error = null;
  }

  /** Validates, encrypts in this browser, and sends only the ciphertext. Returns whether it was sent. */
  async submit(details: CardDetails): Promise<boolean> {
    const offer = this.offer;
    if (!offer || this.busy) return false;
    this.problems = checkCard(details);
    if (Object.keys(this.problems).length > 0) return false;
    this.busy = true;
    this.error = null;
    try {
      const sealed = await sealForAgent(
        offer.publicKey,
        offer.chatId,
        offer.formId,
        normalizedCard(details),
      );
      const reply = await this.#transport.submit({
        chatId: offer.chatId,
        formId: offer.formId,
        ...sealed,
      });
      if (!reply.ok) {
        this.error = reply.error.message;
        if (reply.error.id === 'secure_form_not_found') this.offer = null;
        return false;
      }
      this.offer = null;
      this.sent = true;
      return true;
    } catch {
      this.error = 'The card details could not be sent. Please try again.';
      return false;
    } finally {
      this.busy = false;
    }
  }
}
