/**
 * A function's definition for React and TanStack Query: its name, kind, keys and the query and
 * mutation options built from them. The generated `mizan` object holds one per function.
 */

import type { MutationFunctionContext, QueryFunctionContext } from '@tanstack/react-query';

import type { MizanClient } from '../core/client.js';
import type { MizanError } from '../core/errors.js';
import type { KeyParams } from '../core/keys.js';
import { callWithPatches, readWithPatches, type OptimisticPatches } from './optimistic.js';
import type { MizanQueryKey } from './query-keys.js';

/** What a function is. */
export type MizanFunctionKind = 'query' | 'mutation' | 'context';

/**
 * What a call is given: its arguments object, which may be left out when it needs no field (so a
 * mutation without arguments is `mutate()`, not `mutate({})`).
 */
export type MizanVariables<A extends object> = {} extends A ? A | void : A;

/**
 * One function: `A` its arguments object, `R` its result, `C` the contexts it affects and the
 * value of each (what its optimistic patches change).
 */
export interface MizanFunction<A extends object, R, C extends object = {}> {
  /** Its call name. */
  readonly name: string;
  /** Its kind. */
  readonly kind: MizanFunctionKind;
  /** A context with one instance, which the server can render into the page. */
  readonly global: boolean;
  /** Called over the tab's socket when it is open (`#[client(websocket)]`). */
  readonly websocket: boolean;
  /** The contexts a successful call refreshes (`affects = [...]`), by name. */
  readonly affects: readonly string[];
  /**
   * The query key of the call with `params`: `['mizan', name, params]`. With some params left
   * out it is a prefix TanStack Query matches every instance against (`key()`: all of them).
   */
  key(params?: Partial<A>): MizanQueryKey;
  /** Options for `useQuery` / `queryClient.fetchQuery`: reads through `client`. */
  queryOptions(
    args: A,
    client: MizanClient,
  ): {
    queryKey: MizanQueryKey;
    queryFn: (context: QueryFunctionContext) => Promise<R>;
    staleTime?: number;
    meta?: Record<string, unknown>;
  };
  /**
   * Options for `useMutation`: calls through `client` (`mutate()` when it takes no argument),
   * showing `optimistic`'s patches until the refetch of what the answer invalidated lands.
   */
  mutationOptions(
    client: MizanClient,
    optimistic?: OptimisticPatches<A, C>,
  ): {
    mutationKey: readonly ['mizan', string];
    mutationFn: (args: MizanVariables<A>, context: MutationFunctionContext) => Promise<R>;
  };
  /** Type only: the arguments. */
  readonly __args?: A;
  /** Type only: the result. */
  readonly __result?: R;
  /** Type only: the contexts it affects, and their values. */
  readonly __affects?: C;
}

function define<A extends object, R, C extends object = {}>(
  name: string,
  kind: MizanFunctionKind,
  global: boolean,
  websocket = false,
  affects: readonly string[] = [],
): MizanFunction<A, R, C> {
  const target = { name, affects, websocket };
  return {
    name,
    kind,
    global,
    websocket,
    affects,
    key: (params) => ['mizan', name, (params ?? {}) as KeyParams],
    queryOptions: (args, client) => {
      const queryKey: MizanQueryKey = ['mizan', name, args as KeyParams];
      if (kind !== 'context') return { queryKey, queryFn: () => client.read<R>(name, args) };
      return {
        queryKey,
        // What a context lands carries the optimistic patches still pending in that cache.
        queryFn: (context: QueryFunctionContext) =>
          readWithPatches(context?.client, queryKey, () => client.read<R>(name, args)),
        // A context is kept fresh by the invalidations the server sends, not by age; the
        // socket watches it (see `MizanProvider`).
        staleTime: Number.POSITIVE_INFINITY,
        meta: { mizan: 'context' },
      };
    },
    mutationOptions: (client, optimistic) => ({
      mutationKey: ['mizan', name],
      // `mutate()` passes `undefined`: the server reads a missing arguments object as none.
      mutationFn: (args: MizanVariables<A>, context: MutationFunctionContext) =>
        callWithPatches<R>(context?.client, client, target, args ?? {}, optimistic),
    }),
  };
}

/** How a function is called (`websocket`: over the tab's socket when it is open). */
export interface DefineOptions {
  readonly websocket?: boolean;
}

/**
 * How a mutation is called, and the contexts it refreshes (`affects`: their names, required
 * when `C` types patches of some: without them no patch would ever show).
 */
export type DefineMutationOptions<C extends object> = DefineOptions &
  ({} extends C
    ? { readonly affects?: readonly (keyof C & string)[] }
    : { readonly affects: readonly (keyof C & string)[] });

/** A query: read with `useXxxQuery(args)`, or called with `useXxx()`. */
export function defineQuery<A extends object, R>(
  name: string,
  options: DefineOptions = {},
): MizanFunction<A, R> {
  return define(name, 'query', false, options.websocket ?? false);
}

/**
 * A mutation: called with `useXxx()` or `useXxxMutation()`. `C` names the contexts it affects
 * and the value of each: what its optimistic patches are typed by.
 */
export function defineMutation<A extends object, R, C extends object = {}>(
  name: string,
  ...[options]: {} extends C ? [options?: DefineMutationOptions<C>] : [options: DefineMutationOptions<C>]
): MizanFunction<A, R, C> {
  options ??= {} as DefineMutationOptions<C>;
  return define(name, 'mutation', false, options.websocket ?? false, options.affects);
}

/** A context: read with `useXxx(params)`, kept live by invalidations. */
export function defineContext<A extends object, R>(
  name: string,
  options: { global: boolean },
): MizanFunction<A, R> {
  return define(name, 'context', options.global);
}

/** Never retry a call the server refused (4xx): the same call would be refused again. */
export function retryUnlessRefused(failureCount: number, error: unknown): boolean {
  const refused = (error as MizanError | null)?.isClientError?.() === true;
  return !refused && failureCount < 3;
}
