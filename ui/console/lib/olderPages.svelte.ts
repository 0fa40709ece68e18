/** One page of a list read newest first; `nextBefore` is where the next older page starts. */
export interface Page<T> {
  items: T[];
  nextBefore: number | null;
}

/**
 * A list read newest first, one page at a time ("Load older"): what is shown, whether older items
 * remain, and the last failure in plain words. Shown with components/LoadOlder.svelte.
 */
export class OlderPages<T> {
  items: T[] = $state.raw([]);
  nextBefore: number | null = $state(null);
  loading = $state(false);
  /** Set once a page has arrived, so "nothing matches" is not shown while loading. */
  loaded = $state(false);
  error: string | null = $state(null);
  readonly #fetch: (before: number | null) => Promise<Page<T>>;
  readonly #failure: string;

  constructor(fetch: (before: number | null) => Promise<Page<T>>, failure: string) {
    this.#fetch = fetch;
    this.#failure = failure;
  }

  /** The newest page, in place of what is shown. */
  first(): Promise<void> {
    return this.#load(null);
  }

  /** The next older page, after what is shown. */
  older(): Promise<void> {
    return this.nextBefore === null ? Promise.resolve() : this.#load(this.nextBefore);
  }

  async #load(before: number | null): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const page = await this.#fetch(before);
      this.items = before === null ? page.items : [...this.items, ...page.items];
      this.nextBefore = page.nextBefore;
      this.loaded = true;
    } catch (failure) {
      this.error = failure instanceof Error ? failure.message : this.#failure;
    } finally {
      this.loading = false;
    }
  }
}
