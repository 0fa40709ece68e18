import {
  ACTIVITY_REPORT_MS,
  type AgentAvailability,
  type AgentStatus,
  type BoardView,
  type PresenceView,
} from '../../../app/shared/presence.ts';
import type { AgentStore } from './agentStore.svelte.ts';
import type { SocketArea } from './socketArea.ts';

export const ACTIVITY_EVENTS = [
  'keydown',
  'mousedown',
  'mousemove',
  'touchstart',
  'focus',
] as const;
/** Several hints in a burst (a chat accepted: queue and load) make one fetch. */
const REFETCH_DELAY_MS = 200;
const NO_ANSWER = 'The server did not answer in time. Please try again.';

/**
 * The agent's availability in the console (issue 14): their own status and the switcher, activity
 * reports (at most one a minute; at once when the server made them away for idleness), the Agents
 * panel and the live board. Rides on the AgentStore's socket (its `area`).
 */
export class Presence {
  mine: PresenceView | null = $state.raw(null);
  colleagues: AgentAvailability[] = $state.raw([]);
  board: BoardView | null = $state.raw(null);
  error: string | null = $state(null);
  readonly #area: SocketArea;
  #connected = false;
  #lastReport = 0;
  #watchingBoard = 0;
  #watchingColleagues = 0;
  /** Pending refetches by what they fetch; not state (nothing renders them). */
  #timers: Record<string, number> = {};

  constructor(area: SocketArea) {
    this.#area = area;
    area.on('presence:mine', (view) => {
      this.mine = view;
    });
    area.on('board:changed', () => this.#later('board', () => this.#loadBoard()));
    area.on('colleagues:changed', () => this.#later('colleagues', () => this.#loadColleagues()));
    area.onConnect(() => {
      this.#connected = true;
      void this.#refresh();
    });
  }

  async setStatus(status: AgentStatus): Promise<void> {
    try {
      const reply = await this.#area.request('presence:set', { status });
      this.error = reply.ok ? null : reply.error.message;
      if (reply.ok) this.mine = reply.presence;
    } catch {
      this.error = NO_ANSWER;
    }
  }

  /** A supervisor sets an agent's status from the board (chats.monitor); audited as theirs. */
  async setFor(agentId: number, status: AgentStatus): Promise<void> {
    try {
      const reply = await this.#area.request('presence:setFor', { agentId, status });
      this.error = reply.ok ? null : reply.error.message;
      if (reply.ok) await this.#loadBoard();
    } catch {
      this.error = NO_ANSWER;
    }
  }

  /** Keyboard, mouse or focus (the status switcher listens while the console is shown). */
  reportActivity(): void {
    const idleAway = this.mine?.status === 'away' && this.mine.cause === 'idle';
    const now = Date.now();
    if (!this.#connected || (!idleAway && now - this.#lastReport < ACTIVITY_REPORT_MS)) return;
    this.#lastReport = now;
    this.#area.request('presence:activity', {}).catch(() => undefined);
  }

  /** The board is fetched while at least one view shows it; returns the function that stops. */
  watchBoard(): () => void {
    this.#watchingBoard += 1;
    void this.#loadBoard();
    return () => {
      this.#watchingBoard -= 1;
    };
  }

  watchColleagues(): () => void {
    this.#watchingColleagues += 1;
    void this.#loadColleagues();
    return () => {
      this.#watchingColleagues -= 1;
    };
  }

  #later(key: string, load: () => Promise<void>): void {
    if (key in this.#timers) return;
    this.#timers[key] = window.setTimeout(() => {
      delete this.#timers[key];
      void load();
    }, REFETCH_DELAY_MS);
  }

  async #refresh(): Promise<void> {
    try {
      const reply = await this.#area.request('presence:get', {});
      if (reply.ok) this.mine = reply.presence;
    } catch {
      // Fetched again at the next reconnect; presence:mine keeps it current meanwhile.
    }
    await Promise.all([this.#loadBoard(), this.#loadColleagues()]);
  }

  async #loadBoard(): Promise<void> {
    if (this.#watchingBoard === 0 || !this.#connected) return;
    try {
      const reply = await this.#area.request('board:get', {});
      this.error = reply.ok ? null : reply.error.message;
      if (reply.ok) this.board = reply.board;
    } catch {
      this.error = 'The live board could not be loaded; retrying when the connection recovers.';
    }
  }

  async #loadColleagues(): Promise<void> {
    if (this.#watchingColleagues === 0 || !this.#connected) return;
    try {
      const reply = await this.#area.request('colleagues:list', {});
      if (reply.ok) this.colleagues = reply.colleagues;
    } catch {
      // Kept as it was; the next hint or reconnect fetches it again.
    }
  }
}

const presences = new WeakMap<AgentStore, Presence>();

/** The one Presence of a console session (like teamOf): made on first use from the store's socket. */
export function presenceOf(store: AgentStore): Presence {
  let presence = presences.get(store);
  if (!presence) {
    presence = new Presence(store.area);
    presences.set(store, presence);
  }
  return presence;
}
