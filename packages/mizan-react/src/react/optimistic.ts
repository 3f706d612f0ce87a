/**
 * Optimistic patches in TanStack Query's cache: a mutation's patches shown at once on the live
 * queries of the contexts it affects, and each taken off by the refetch its answer started (the
 * rule, and the fixture it is held to, are `core/optimistic.ts`'s).
 *
 * The cache holds what the page shows: the last value each query fetched with the patches still
 * pending applied on top. A context's query function goes through {@link readWithPatches}, so the
 * value a refetch lands is already patched (or not) when TanStack stores it: no render ever sees
 * the value from before a mutation between its answer and its refetch. The patches of a query
 * client are kept beside it (one set per client, however many providers or hooks reach it).
 */

import type { Query, QueryClient, QueryKey } from '@tanstack/react-query';

import type { MizanClient } from '../core/client.js';
import { mutationCovers, OptimisticLedger, type MutationId } from '../core/optimistic.js';
import { coveredBy, isMizanQueryKey } from './query-keys.js';

/**
 * One context's optimistic patch: the value to show, from the value shown before and the call's
 * arguments. It returns a new value: the one it is given is the cache's, and stays as it is.
 */
export type OptimisticPatch<V, A> = (value: V, args: A) => V;

/**
 * A mutation's optimistic patches, by the name of the context each patches (`C`: the contexts
 * the mutation affects, and the value of each).
 */
export type OptimisticPatches<A, C> = { readonly [K in keyof C]?: OptimisticPatch<C[K], A> };

/** Any context's patch, as the cache keeps it (the types are the caller's). */
type AnyPatch = (value: never, args: never) => unknown;

/** A patch with its call's arguments bound. */
type BoundPatch = (value: unknown) => unknown;

/** A live query: the instance of a context the cache holds. */
type LiveQuery = Query<unknown, Error, unknown, QueryKey>;

/** A function's name, what it affects and how it is called: what an optimistic call needs. */
export interface OptimisticTarget {
  readonly name: string;
  readonly affects: readonly string[];
  readonly websocket: boolean;
}

/** The patches of each query client. */
const caches = new WeakMap<QueryClient, OptimisticCache>();

/** The patches pending on one query client's cache. */
class OptimisticCache {
  readonly #queryClient: QueryClient;
  readonly #ledger = new OptimisticLedger<LiveQuery, BoundPatch>();
  /** The value each query with pending patches last fetched (or had when first patched). */
  readonly #landed = new Map<LiveQuery, unknown>();

  /** The cache of `queryClient`'s patches: made once, on first use. */
  static of(queryClient: QueryClient): OptimisticCache {
    let cache = caches.get(queryClient);
    if (!cache) {
      cache = new OptimisticCache(queryClient);
      caches.set(queryClient, cache);
    }
    return cache;
  }

  private constructor(queryClient: QueryClient) {
    this.#queryClient = queryClient;
    // As long as the query client lives: a query it drops takes its patches with it.
    queryClient.getQueryCache().subscribe((event) => {
      if (event.type === 'removed') this.#forget(event.query as LiveQuery);
    });
  }

  /** Calls `target` with `args` through `call`, its `patches` shown until the answer's refetch lands. */
  async call<R>(
    target: OptimisticTarget,
    args: Readonly<Record<string, unknown>>,
    patches: Readonly<Record<string, AnyPatch | undefined>>,
    call: (onAnswer: (keys: readonly string[]) => void) => Promise<R>,
  ): Promise<R> {
    const live = this.#queryClient.getQueryCache().findAll({
      type: 'active',
      predicate: ({ queryKey }) =>
        isMizanQueryKey(queryKey) &&
        Object.hasOwn(patches, queryKey[1]) &&
        patches[queryKey[1]] !== undefined &&
        mutationCovers(target.affects, args, queryKey[1], queryKey[2]),
    }) as LiveQuery[];
    for (const query of live) {
      if (!this.#landed.has(query)) this.#landed.set(query, query.state.data);
    }
    const id = this.#ledger.begin(
      live.map((query): [LiveQuery, BoundPatch] => {
        const patch = patches[query.queryKey[1] as string] as OptimisticPatch<unknown, unknown>;
        return [query, (value) => patch(value, args)];
      }),
    );
    for (const query of live) this.#show(query);
    try {
      return await call((keys) => this.#answered(id, keys));
    } catch (error) {
      const patched = this.#ledger.instancesOf(id);
      this.#ledger.failed(id);
      for (const query of patched) this.#show(query);
      throw error;
    }
  }

  /** A context's fetch of `queryKey` through `read`: what it lands, with the patches still pending. */
  async read<R>(queryKey: QueryKey, read: () => Promise<R>): Promise<R> {
    const query = this.#queryClient.getQueryCache().find({ queryKey, exact: true }) as
      | LiveQuery
      | undefined;
    if (!query) return read();
    const fetch = this.#ledger.fetchStarted(query);
    const value = await read();
    // A cancelled fetch (by a newer one, or by `cancelQueries`, which leaves the query idle):
    // TanStack drops its value, and it ends no patch.
    const cancelled = query.state.fetchStatus === 'idle';
    if (cancelled || !this.#ledger.landed(query, fetch)) return value;
    this.#landed.set(query, value);
    return this.#patched(query, value) as R;
  }

  /** The answer's keys: a patch whose query they cover waits for its refetch, the others go. */
  #answered(id: MutationId, keys: readonly string[]): void {
    const before = this.#ledger.instancesOf(id);
    const covered = coveredBy(keys);
    this.#ledger.answered(id, (query) => covered(query.queryKey));
    const kept = new Set(this.#ledger.instancesOf(id));
    for (const query of before) {
      if (!kept.has(query)) this.#show(query);
    }
  }

  /** `base` with the patches pending on `query` applied, oldest first. */
  #patched(query: LiveQuery, base: unknown): unknown {
    const patches = this.#ledger.patches(query);
    if (patches.length === 0) this.#landed.delete(query);
    return patches.reduce((value, patch) => {
      let patched: unknown;
      try {
        patched = patch(value);
      } catch (error) {
        // One broken patch must not take the value (or the call) down with it.
        console.error('mizan: an optimistic patch threw; the value is shown without it', error);
        return value;
      }
      if (patched === undefined) {
        // TanStack Query keeps no `undefined`: the patch forgot to return the value.
        console.error('mizan: an optimistic patch returned undefined; the value is shown without it');
        return value;
      }
      return patched;
    }, base);
  }

  /** Puts what `query` shows now in the cache: its last fetched value with its patches. */
  #show(query: LiveQuery): void {
    const landed = this.#landed.get(query);
    // Nothing fetched yet: the first fetch lands with the patches applied.
    if (landed === undefined) return;
    const invalidated = query.state.isInvalidated;
    this.#queryClient.setQueryData(query.queryKey, this.#patched(query, landed));
    // Setting data marks the query valid; a refetch the server asked for must still happen.
    if (invalidated) query.invalidate();
  }

  /** The query left the cache: nothing shows its patches, nothing will refetch it. */
  #forget(query: LiveQuery): void {
    this.#ledger.forget(query);
    this.#landed.delete(query);
  }
}

/**
 * Calls `target` with `args` through `client`; with `patches`, they show on `queryClient`'s live
 * queries the call covers until the refetch its answer started lands (an error rolls them back
 * and is the call's). Without a query client (a mutation function called by hand) it is the
 * plain call.
 */
export function callWithPatches<R>(
  queryClient: QueryClient | undefined,
  client: MizanClient,
  target: OptimisticTarget,
  args: object,
  patches: Readonly<Record<string, AnyPatch | undefined>> | undefined,
): Promise<R> {
  const options = { websocket: target.websocket };
  if (!patches || !queryClient) return client.call<R>(target.name, args, options);
  return OptimisticCache.of(queryClient).call(
    target,
    args as Record<string, unknown>,
    patches,
    (onAnswer) => client.call<R>(target.name, args, { ...options, onAnswer }),
  );
}

/**
 * A context's read of `queryKey` in `queryClient`'s cache, through its pending patches (a plain
 * read without a query client: a query function called by hand).
 */
export function readWithPatches<R>(
  queryClient: QueryClient | undefined,
  queryKey: QueryKey,
  read: () => Promise<R>,
): Promise<R> {
  return queryClient ? OptimisticCache.of(queryClient).read(queryKey, read) : read();
}
