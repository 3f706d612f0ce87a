/** The hooks the generated ones wrap: a typed async function, mutation state, query state. */

import {
  useMutation,
  useQuery,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';

import { MizanError as Refusal } from '../core/errors.js';
import type { KeyParams } from '../core/keys.js';
import { channelKey, type SocketStatus } from '../core/socket.js';

import type { MizanError } from '../core/errors.js';
import type { MizanChannel, MizanFunction, MizanVariables } from './define.js';
import { useMizanClient, useMizanSocket, useMizanSocketStatus } from './provider.js';

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

/** A channel subscription: the socket's status, what the group heard, and a typed `send`. */
export interface ChannelState<C, S> {
  /** `connecting`, `connected` or `disconnected`. */
  readonly status: SocketStatus;
  /** What the group has heard since the subscription began (new params start a new one). */
  readonly messages: readonly S[];
  /** Sends a message; resolves when the server took it, rejects with a `MizanError`. */
  readonly send: (message: C) => Promise<void>;
}

/** Subscribes to `channel` with `params` while the component lives. */
export function useMizanChannel<P extends object, C, S>(
  channel: MizanChannel<P, C, S>,
  params: P,
): ChannelState<C, S> {
  const socket = useMizanSocket();
  const status = useMizanSocketStatus();
  const key = channelKey(channel.name, params as KeyParams);
  // The params as first seen for this key: a new object with the same values is the same one.
  const stable = useMemo(() => params as KeyParams, [key]);
  const [heard, setHeard] = useState<{ key: string; messages: S[] }>({ key, messages: [] });
  useEffect(() => {
    setHeard({ key, messages: [] });
    if (!socket) return undefined;
    return socket.subscribe(channel.name, stable, (message) => {
      setHeard((previous) =>
        previous.key === key ? { key, messages: [...previous.messages, message as S] } : previous,
      );
    });
  }, [socket, channel.name, key, stable]);
  const send = useCallback(
    (message: C) =>
      socket
        ? socket.sendMessage(channel.name, stable, message)
        : Promise.reject(new Refusal('NOT_IMPLEMENTED', 'realtime is off in this <MizanContext>')),
    [socket, channel.name, stable],
  );
  return { status, messages: heard.key === key ? heard.messages : [], send };
}
