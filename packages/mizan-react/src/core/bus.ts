/**
 * The invalidation bus: every response's `invalidate` keys (and, with realtime, the server's
 * pushes) reach each listener once per response, so a listener can refresh what they cover in
 * one pass; and the two helpers every listener set of the runtime uses (adding one, telling each).
 */

/** Gets the keys of one response. */
export type InvalidationListener = (keys: readonly string[]) => void;

/** Adds `listener` to `listeners`; returns what removes it (the runtime's `on...` methods). */
export function listen<L>(listeners: Set<L>, listener: L): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/**
 * Calls each of `listeners` (as they are when it starts) with `call`; one that throws is
 * reported as `what` failing and skipped, so the others still hear.
 */
export function tellEach<L>(listeners: Set<L>, call: (listener: L) => void, what: string): void {
  for (const listener of [...listeners]) {
    try {
      call(listener);
    } catch (error) {
      console.error(`mizan: ${what} failed`, error);
    }
  }
}

/** Listeners of invalidations. */
export class InvalidationBus {
  readonly #listeners = new Set<InvalidationListener>();

  /** Calls `listener` with each non-empty set of keys; returns what unsubscribes it. */
  subscribe(listener: InvalidationListener): () => void {
    return listen(this.#listeners, listener);
  }

  /**
   * Hands `keys` (once each, in order) to every listener; nothing for an empty set. A listener
   * that throws is reported and skipped: the call that carried the keys still succeeded.
   */
  emit(keys: readonly string[]): void {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return;
    tellEach(this.#listeners, (listener) => listener(unique), 'an invalidation listener');
  }
}
