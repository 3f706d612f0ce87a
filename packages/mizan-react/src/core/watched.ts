/**
 * Which keys the socket watches (counted: two watchers of one key watch it once), and which keys
 * this tab's own answers applied a moment ago, so that a reconnect right after a sign-in or
 * sign-out does not refetch them a second time.
 */

import { covers, parseKey, type ParsedKey } from './keys.js';

/** How long a key applied from an answer counts as this tab's own (ms). */
export const OWN_KEY_WINDOW_MS = 1_000;

/** The watched keys, each with how many watchers hold it. */
export class WatchedKeys {
  readonly #counts = new Map<string, number>();

  /** One more watcher of `key`; `true` when it is the first (the socket must watch it). */
  add(key: string): boolean {
    const count = this.#counts.get(key) ?? 0;
    this.#counts.set(key, count + 1);
    return count === 0;
  }

  /** One watcher less of `key`; `true` when it was the last (the socket must unwatch it). */
  remove(key: string): boolean {
    const left = (this.#counts.get(key) ?? 1) - 1;
    if (left > 0) {
      this.#counts.set(key, left);
      return false;
    }
    this.#counts.delete(key);
    return true;
  }

  /** Every watched key. */
  keys(): string[] {
    return [...this.#counts.keys()];
  }
}

/** Keys this tab applied from its own answers, with when. */
export class OwnKeys {
  #applied: { key: ParsedKey; at: number }[] = [];

  /** `keys` were applied from an answer at `now`. */
  note(keys: readonly string[], now: number): void {
    this.#forget(now);
    for (const key of keys) {
      try {
        this.#applied.push({ key: parseKey(key), at: now });
      } catch {
        // Not a canonical key: it covers nothing.
      }
    }
  }

  /** `keys` less those a key this tab applied within the window covers. */
  foreign(keys: readonly string[], now: number): string[] {
    this.#forget(now);
    return keys.filter((key) => {
      let parsed: ParsedKey;
      try {
        parsed = parseKey(key);
      } catch {
        return true;
      }
      return !this.#applied.some(({ key: own }) => covers(own, parsed.name, parsed.params));
    });
  }

  #forget(now: number): void {
    this.#applied = this.#applied.filter(({ at }) => now - at < OWN_KEY_WINDOW_MS);
  }
}
