/**
 * The invalidation bus: every response's `invalidate` keys (and, with realtime, the server's
 * pushes) reach each listener once per response, so a listener can refresh what they cover in
 * one pass.
 */

/** Gets the keys of one response. */
export type InvalidationListener = (keys: readonly string[]) => void;

/** Listeners of invalidations. */
export class InvalidationBus {
  readonly #listeners = new Set<InvalidationListener>();

  /** Calls `listener` with each non-empty set of keys; returns what unsubscribes it. */
  subscribe(listener: InvalidationListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Hands `keys` (once each, in order) to every listener; nothing for an empty set. A listener
   * that throws is reported and skipped: the call that carried the keys still succeeded.
   */
  emit(keys: readonly string[]): void {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(unique);
      } catch (error) {
        console.error('mizan: an invalidation listener failed', error);
      }
    }
  }
}
