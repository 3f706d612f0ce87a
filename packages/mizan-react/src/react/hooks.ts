/** The hooks the generated ones wrap: a typed async function, mutation state, query state (the
 * channels' hook is in `realtime.ts`, the forms' in `form.ts`). */

import {
  useMutation,
  useQuery,
  useQueryClient,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { useCallback, useInsertionEffect, useRef } from 'react';

import type { MizanError } from '../core/errors.js';
import type { MizanFunction, MizanVariables } from './define.js';
import { callWithPatches, type OptimisticPatches } from './optimistic.js';
import { useMizanClient } from './provider.js';

/** The arguments of a call: optional when the function needs none. */
export type CallArgs<A extends object> = {} extends A ? [args?: A] : [args: A];

/**
 * How a mutation's hook calls it: `optimistic` patches, by context, shown at once on the live
 * values the call covers and replaced by the refetch its answer starts (rolled back on an error).
 */
export interface MizanCallOptions<A, C> {
  readonly optimistic?: OptimisticPatches<A, C>;
}

/**
 * `fn` as a typed async function; its invalidations refresh the contexts they cover, and
 * `options.optimistic`'s patches show until they do. The function keeps its identity across
 * renders: each call uses the patches of the latest render.
 */
export function useMizanCall<A extends object, R, C extends object = {}>(
  fn: MizanFunction<A, R, C>,
  options: MizanCallOptions<A, C> = {},
): (...args: CallArgs<A>) => Promise<R> {
  const client = useMizanClient();
  const queryClient = useQueryClient();
  const optimistic = useRef(options.optimistic);
  // Before any effect of the same commit runs, which may call it.
  useInsertionEffect(() => {
    optimistic.current = options.optimistic;
  });
  return useCallback(
    (...args: CallArgs<A>) =>
      callWithPatches<R>(queryClient, client, fn, args[0] ?? {}, optimistic.current),
    [client, queryClient, fn],
  );
}

/**
 * `fn` with TanStack Query's mutation state; `mutate()` when it takes no argument.
 * `options.optimistic`'s patches show from `mutate` until the refetch its answer starts lands.
 */
export function useMizanMutation<A extends object, R, C extends object = {}>(
  fn: MizanFunction<A, R, C>,
  options: MizanCallOptions<A, C> = {},
): UseMutationResult<R, MizanError, MizanVariables<A>> {
  const client = useMizanClient();
  return useMutation<R, MizanError, MizanVariables<A>>(
    fn.mutationOptions(client, options.optimistic),
  );
}

/** `fn` read with `args`: data, loading and error states; a context stays live. */
export function useMizanQuery<A extends object, R>(
  fn: MizanFunction<A, R>,
  args: A,
): UseQueryResult<R, MizanError> {
  const client = useMizanClient();
  return useQuery<R, MizanError, R, readonly unknown[]>(fn.queryOptions(args, client));
}
