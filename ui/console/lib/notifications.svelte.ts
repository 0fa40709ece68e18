import type { Socket } from 'socket.io-client';
import {
  DEFAULT_NOTIFICATION_SETTINGS,
  type NotificationKind,
  type NotificationSettings,
} from '../../../app/shared/agentNotifications.ts';
import type { MessageView, QueueEntry } from '../../../app/shared/protocol.ts';
import { api } from '../admin/api.ts';

// Agent notifications (issue 14): a sound (WebAudio, no file to fetch) and a desktop notification
// for a chat offered to me, a chat joining the queue, and a visitor's message in a chat not in view.
// Desktop notifications are asked for only from a button (consent), never on load.

const SETTINGS_URL = '/api/agent/notification-settings';

/** What the notifier reads of the console's state. */
export interface NotifiedStore {
  readonly queue: QueueEntry[];
  readonly activeChatId: number | null;
  readonly layout: 'tabs' | 'side';
  find(chatId: number): { title: string } | undefined;
  activate(chatId: number): void;
}

/** An offer of a chat to this agent (the routing engineer's `offer:new`); only these fields are read. */
interface Offer {
  chatId?: number;
  visitorName?: string | null;
}

const permissionNow = (): NotificationPermission | 'unsupported' =>
  typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;

class AgentNotifier {
  settings: NotificationSettings = $state.raw(DEFAULT_NOTIFICATION_SETTINGS);
  permission: NotificationPermission | 'unsupported' = $state(permissionNow());
  #audio: AudioContext | null = null;
  #offered = new Set<number>();

  async load(): Promise<void> {
    try {
      this.settings = (await api<{ settings: NotificationSettings }>('GET', SETTINGS_URL)).settings;
    } catch {
      // The defaults stay; the Account page shows the error when the agent opens it.
    }
  }

  async save(settings: NotificationSettings): Promise<void> {
    const reply = await api<{ settings: NotificationSettings }>('PUT', SETTINGS_URL, settings);
    this.settings = reply.settings;
  }

  /** Asks the browser for permission; called only from the agent's click. */
  async askPermission(): Promise<void> {
    if (typeof Notification === 'undefined') return;
    this.permission = await Notification.requestPermission();
  }

  /** A short two-tone chime made with WebAudio. */
  chime(): void {
    try {
      this.#audio ??= new AudioContext();
      const audio = this.#audio;
      void audio.resume().catch(() => undefined);
      const start = audio.currentTime;
      for (const [offset, frequency] of [
        [0, 880],
        [0.16, 660],
      ] as const) {
        const tone = audio.createOscillator();
        const gain = audio.createGain();
        tone.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.15);
        tone.connect(gain).connect(audio.destination);
        tone.start(start + offset);
        tone.stop(start + offset + 0.16);
      }
    } catch {
      // No audio output (or blocked): the desktop notification and the tab title remain.
    }
  }

  notify(kind: NotificationKind, title: string, body: string, onclick?: () => void): void {
    const wanted = this.settings[kind];
    if (wanted.sound) this.chime();
    this.permission = permissionNow();
    if (!wanted.desktop || this.permission !== 'granted') return;
    try {
      const shown = new Notification(title, { body, tag: `parley-${kind}` });
      shown.onclick = () => {
        window.focus();
        onclick?.();
        shown.close();
      };
    } catch {
      // Some browsers allow notifications only from a service worker; the chime has played.
    }
  }

  /** Listens on the console's socket; call before the store's own listeners (it compares queues). */
  attach(socket: Socket, store: NotifiedStore): void {
    void this.load();
    socket.on('offer:new', (offer: Offer) => {
      if (typeof offer?.chatId === 'number') this.#offered.add(offer.chatId);
      this.notify('offer', 'A chat is offered to you', offer?.visitorName ?? 'A visitor');
    });
    socket.on('queue:updated', (queue: QueueEntry[]) => {
      const before = new Set(store.queue.map((entry) => entry.chatId));
      // Chats offered to me already rang as offers; the others wait for someone to pick them.
      const arrived = queue.filter(
        (entry) => !before.has(entry.chatId) && !this.#offered.has(entry.chatId),
      );
      if (arrived.length === 0) return;
      const first = arrived[0]!;
      this.notify(
        'queue',
        arrived.length === 1 ? 'A visitor is waiting' : `${arrived.length} visitors are waiting`,
        [first.visitorName ?? 'A visitor', first.question].filter(Boolean).join(': '),
      );
    });
    socket.on('message:new', (message: MessageView) => {
      if (message.author !== 'visitor') return;
      const inView =
        !document.hidden && (store.layout === 'side' || store.activeChatId === message.chatId);
      if (inView) return;
      const chat = store.find(message.chatId);
      this.notify('message', `New message from ${chat?.title ?? 'a visitor'}`, message.body, () =>
        store.activate(message.chatId),
      );
    });
  }
}

export const notifier = new AgentNotifier();
