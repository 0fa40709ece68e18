import type { ChatView } from '../../../app/shared/protocol.ts';
import { Conversation } from '../../shared/conversation.svelte.ts';
import { TypingSignal } from '../../shared/typingSignal.ts';

/** A chat open in the console: the conversation plus what only the agent's screen needs. */
export class ConsoleChat {
  readonly conversation: Conversation;
  readonly typing: TypingSignal;
  unread = $state(0);
  draft = $state('');
  /** This agent's part in the chat (issue 14): its owner, a joined agent, or a silent monitor. */
  role = $state<'owner' | 'joined' | 'monitor'>('owner');
  /** The composer writes whispers (agents only) instead of messages to the visitor. */
  whispering = $state(false);
  /** The last error about this chat (sync or end failed), shown in its pane. */
  error = $state<string | null>(null);

  constructor(chat: ChatView, emitTyping: (chatId: number, typing: boolean) => void) {
    this.conversation = new Conversation(chat);
    this.typing = new TypingSignal((typing) => emitTyping(chat.id, typing));
  }

  get id(): number {
    return this.conversation.chat.id;
  }

  get title(): string {
    const chat = this.conversation.chat;
    return chat.visitorName ?? chat.visitorEmail ?? `Visitor #${chat.id}`;
  }

  dispose(): void {
    this.typing.stop();
    this.conversation.dispose();
  }
}
