/**
 * The rule of optimistic patches, the Rust runtime's (`crates/mizan/src/optimistic.rs`) held to
 * the same fixture (`fixtures/optimistic.json`): which live instances a mutation's patch touches,
 * which patches a value shows and in what order, and when each patch goes (its call failed, or
 * the refetch its answer started has landed).
 *
 * The value shown is always the last landed value with the patches still pending applied on top,
 * oldest mutation first. A patch stays until a refetch that started *after* its answer lands, so
 * a patched value never shows the state from before the mutation between the answer and the
 * refetch.
 */

import { canonicalJson, type KeyParams } from './keys.js';

/** Identifies one mutation's patches in a {@link OptimisticLedger}. */
export type MutationId = number;

/**
 * Whether a mutation that `affects` these contexts, called with `args`, refreshes the instance
 * of context `name` with `params`: it affects the context, and every param of the instance that
 * one of its arguments names has that argument's value (compared as JSON: `1` is not `"1"`).
 * The server scopes the answer's invalidation keys the same way.
 */
export function mutationCovers(
  affects: readonly string[],
  args: Readonly<Record<string, unknown>>,
  name: string,
  params: KeyParams,
): boolean {
  return (
    affects.includes(name) &&
    Object.entries(params).every(
      ([param, value]) =>
        !Object.hasOwn(args, param) ||
        args[param] === undefined ||
        canonicalJson(args[param]) === canonicalJson(value),
    )
  );
}

interface Patch<I, P> {
  readonly instance: I;
  readonly patch: P;
  /** Once answered: the number of the first refetch of `instance` started after the answer. */
  until: number | undefined;
}

interface Mutation<I, P> {
  readonly id: MutationId;
  patches: Patch<I, P>[];
}

/**
 * The pending patches of a page, by instance (`I`: how the runtime names a live instance) and
 * mutation, in the order the mutations were made; and each instance's refetches, numbered as
 * they start.
 */
export class OptimisticLedger<I, P> {
  #mutations: Mutation<I, P>[] = [];
  readonly #started = new Map<I, number>();
  #next: MutationId = 0;

  /**
   * A mutation starts: its patches, one per live instance its call covers, show from now on.
   * With no patch nothing is kept, and its answer or failure changes nothing.
   */
  begin(patches: Iterable<readonly [I, P]>): MutationId {
    const id = this.#next++;
    const kept = Array.from(patches, ([instance, patch]) => ({ instance, patch, until: undefined }));
    if (kept.length > 0) this.#mutations.push({ id, patches: kept });
    return id;
  }

  /**
   * The mutation was answered with keys; `covered` says which instances they cover. Call it
   * before those instances' refetches start: each covered patch waits for the next refetch of
   * its instance, and a patch whose instance the keys do not cover goes now. A mutation is
   * answered once: a later call changes nothing.
   */
  answered(id: MutationId, covered: (instance: I) => boolean): void {
    const mutation = this.#mutations.find((m) => m.id === id);
    if (!mutation) return;
    mutation.patches = mutation.patches.filter(
      (patch) => patch.until !== undefined || covered(patch.instance),
    );
    for (const patch of mutation.patches) {
      if (patch.until === undefined) patch.until = (this.#started.get(patch.instance) ?? 0) + 1;
    }
    this.#prune();
  }

  /** The instances mutation `id` still patches. */
  instancesOf(id: MutationId): I[] {
    return this.#mutations.find((m) => m.id === id)?.patches.map((patch) => patch.instance) ?? [];
  }

  /** The mutation failed: its patches go now, whatever else is pending. */
  failed(id: MutationId): void {
    this.#mutations = this.#mutations.filter((m) => m.id !== id);
  }

  /** A refetch of `instance` starts; its number, to hand to {@link landed}. */
  fetchStarted(instance: I): number {
    const fetch = (this.#started.get(instance) ?? 0) + 1;
    this.#started.set(instance, fetch);
    return fetch;
  }

  /**
   * Refetch number `fetch` of `instance` landed; returns whether it counts. Only the latest
   * refetch of an instance does: a newer one started since cancelled or superseded it, and its
   * value is never shown. One that counts is the instance's value now, and the patches that
   * waited for it, or for an earlier one, go.
   */
  landed(instance: I, fetch: number): boolean {
    if (fetch < (this.#started.get(instance) ?? 0)) return false;
    for (const mutation of this.#mutations) {
      mutation.patches = mutation.patches.filter(
        (patch) => patch.instance !== instance || patch.until === undefined || fetch < patch.until,
      );
    }
    this.#prune();
    return true;
  }

  /** The instance went away: its patches and numbers go with it. */
  forget(instance: I): void {
    for (const mutation of this.#mutations) {
      mutation.patches = mutation.patches.filter((patch) => patch.instance !== instance);
    }
    this.#started.delete(instance);
    this.#prune();
  }

  /** The patches `instance` shows, oldest mutation first. */
  patches(instance: I): P[] {
    return this.#mutations.flatMap((mutation) =>
      mutation.patches.filter((patch) => patch.instance === instance).map((patch) => patch.patch),
    );
  }

  /** How many mutations still hold a patch. */
  get pending(): number {
    return this.#mutations.length;
  }

  #prune(): void {
    this.#mutations = this.#mutations.filter((mutation) => mutation.patches.length > 0);
  }
}
