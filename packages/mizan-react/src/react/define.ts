/**
 * A function's definition for React and TanStack Query: its name, kind, keys and the query and
 * mutation options built from them. The generated `mizan` object holds one per function.
 */

import type { QueryKey } from '@tanstack/react-query';

import type { MizanClient } from '../core/client.js';
import type { MizanError } from '../core/errors.js';
import type { KeyParams } from '../core/keys.js';

/** What a function is. */
export type MizanFunctionKind = 'query' | 'mutation' | 'context';

/** The query key of a function's call: `['mizan', name, params]` (stable). */
export type MizanQueryKey = readonly ['mizan', string, KeyParams];

/**
 * What a call is given: its arguments object, which may be left out when it needs no field (so a
 * mutation without arguments is `mutate()`, not `mutate({})`).
 */
export type MizanVariables<A extends object> = {} extends A ? A | void : A;

/** One function: `A` its arguments object, `R` its result. */
export interface MizanFunction<A extends object, R> {
  /** Its call name. */
  readonly name: string;
  /** Its kind. */
  readonly kind: MizanFunctionKind;
  /** A context with one instance, which the server can render into the page. */
  readonly global: boolean;
  /** Called over the tab's socket when it is open (`#[client(websocket)]`). */
  readonly websocket: boolean;
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
    queryFn: () => Promise<R>;
    staleTime?: number;
    meta?: Record<string, unknown>;
  };
  /** Options for `useMutation`: calls through `client` (`mutate()` when it takes no argument). */
  mutationOptions(client: MizanClient): {
    mutationKey: readonly ['mizan', string];
    mutationFn: (args: MizanVariables<A>) => Promise<R>;
  };
  /** Type only: the arguments. */
  readonly __args?: A;
  /** Type only: the result. */
  readonly __result?: R;
}

/** Whether `key` is a mizan query key. */
export function isMizanQueryKey(key: QueryKey): key is MizanQueryKey {
  return (
    key[0] === 'mizan' &&
    typeof key[1] === 'string' &&
    typeof key[2] === 'object' &&
    key[2] !== null &&
    !Array.isArray(key[2])
  );
}

function define<A extends object, R>(
  name: string,
  kind: MizanFunctionKind,
  global: boolean,
  websocket = false,
): MizanFunction<A, R> {
  return {
    name,
    kind,
    global,
    websocket,
    key: (params) => ['mizan', name, (params ?? {}) as KeyParams],
    queryOptions: (args, client) => ({
      queryKey: ['mizan', name, args as KeyParams],
      queryFn: () => client.read<R>(name, args),
      // A context is kept fresh by the invalidations the server sends, not by age; the socket
      // watches it (see `MizanProvider`).
      ...(kind === 'context' ? { staleTime: Number.POSITIVE_INFINITY, meta: { mizan: 'context' } } : {}),
    }),
    mutationOptions: (client) => ({
      mutationKey: ['mizan', name],
      // `mutate()` passes `undefined`: the server reads a missing arguments object as none.
      mutationFn: (args: MizanVariables<A>) => client.call<R>(name, args ?? {}, { websocket }),
    }),
  };
}

/** How a function is called (`websocket`: over the tab's socket when it is open). */
export interface DefineOptions {
  readonly websocket?: boolean;
}

/** A query: read with `useXxxQuery(args)`, or called with `useXxx()`. */
export function defineQuery<A extends object, R>(
  name: string,
  options: DefineOptions = {},
): MizanFunction<A, R> {
  return define(name, 'query', false, options.websocket ?? false);
}

/** A mutation: called with `useXxx()` or `useXxxMutation()`. */
export function defineMutation<A extends object, R>(
  name: string,
  options: DefineOptions = {},
): MizanFunction<A, R> {
  return define(name, 'mutation', false, options.websocket ?? false);
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
