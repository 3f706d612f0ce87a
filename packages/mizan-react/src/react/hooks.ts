/** The hooks the generated ones wrap: a typed async function, mutation state, query state (the
 * channels' hook is in `realtime.ts`, the forms' in `form.ts`). */

import {
  useMutation,
  useQuery,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { useCallback } from 'react';

import type { MizanError } from '../core/errors.js';
import type { MizanFunction, MizanVariables } from './define.js';
import { useMizanClient } from './provider.js';

/** The arguments of a call: optional when the function needs none. */
export type CallArgs<A extends object> = {} extends A ? [args?: A] : [args: A];

/** `fn` as a typed async function; its invalidations refresh the contexts they cover. */
export function useMizanCall<A extends object, R>(
  fn: MizanFunction<A, R>,
): (...args: CallArgs<A>) => Promise<R> {
  const client = useMizanClient();
  return useCallback(
    (...args: CallArgs<A>) => client.call<R>(fn.name, args[0] ?? {}, { websocket: fn.websocket }),
    [client, fn.name, fn.websocket],
  );
}

/** `fn` with TanStack Query's mutation state; `mutate()` when it takes no argument. */
export function useMizanMutation<A extends object, R>(
  fn: MizanFunction<A, R>,
): UseMutationResult<R, MizanError, MizanVariables<A>> {
  const client = useMizanClient();
  return useMutation<R, MizanError, MizanVariables<A>>(fn.mutationOptions(client));
}

/** `fn` read with `args`: data, loading and error states; a context stays live. */
export function useMizanQuery<A extends object, R>(
  fn: MizanFunction<A, R>,
  args: A,
): UseQueryResult<R, MizanError> {
  const client = useMizanClient();
  return useQuery<R, MizanError, R, readonly unknown[]>(fn.queryOptions(args, client));
}
