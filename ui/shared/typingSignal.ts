/** Re-announce typing this often so the other side's indicator does not expire mid-sentence. */
const REPEAT_MS = 2000;
/** After this long without a keystroke the person is no longer typing. */
const IDLE_MS = 3000;

/** Turns keystrokes into throttled `typing: true` events and one `typing: false` after a pause. */
export class TypingSignal {
  #emit: (typing: boolean) => void;
  #typing = false;
  #lastSentAt = 0;
  #idleTimer: number | undefined;

  constructor(emit: (typing: boolean) => void) {
    this.#emit = emit;
  }

  input(): void {
    const now = Date.now();
    if (!this.#typing || now - this.#lastSentAt >= REPEAT_MS) {
      this.#typing = true;
      this.#lastSentAt = now;
      this.#emit(true);
    }
    window.clearTimeout(this.#idleTimer);
    this.#idleTimer = window.setTimeout(() => this.stop(), IDLE_MS);
  }

  stop(): void {
    window.clearTimeout(this.#idleTimer);
    if (!this.#typing) return;
    this.#typing = false;
    this.#emit(false);
  }
}
