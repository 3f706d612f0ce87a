/**
 * `mizan-react/realtime`: the tab's socket for `<MizanProvider socket={openSocket}>` (it watches
 * the contexts components read, so other clients' changes refresh them) and the channels
 * (`useMizanChannel`). A separate entry: an app without contexts or channels does not carry it.
 */

import type { Query, QueryClient, QueryMeta } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';

import type { MizanClient } from '../core/client.js';
import { MizanError } from '../core/errors.js';
import { canonicalKey, type KeyParams } from '../core/keys.js';
import { MizanSocket, channelKey, type MizanSocketOptions, type SocketStatus } from '../core/socket.js';
import { isMizanQueryKey } from './query-keys.js';
import { useMizanSocket, useMizanSocketStatus, type OpenedSocket } from './provider.js';

export {
  IDENTITY_CHANNEL,
  MizanSocket,
  SOCKET_PATH,
  SSE_PATH,
  TRANSPORT_STORAGE_KEY,
  type ChannelListener,
  type MizanSocketOptions,
  type SocketStatus,
  type Transport,
} from '../core/socket.js';

/**
 * Keeps `socket` watching every mizan context in `queryClient`'s cache (from the first observer
 * that reads it as a context until the query leaves the cache); returns what stops it.
 */
export function watchContexts(queryClient: QueryClient, socket: MizanSocket): () => void {
  const releases = new Map<string, () => void>();
  const track = (query: Query, meta: QueryMeta | undefined) => {
    if (meta?.['mizan'] === 'context' && !releases.has(query.queryHash) && isMizanQueryKey(query.queryKey)) {
      releases.set(query.queryHash, socket.watch(canonicalKey(query.queryKey[1], query.queryKey[2])));
    }
  };
  const cache = queryClient.getQueryCache();
  // Components subscribe before their provider's effects run: take the ones already reading.
  for (const query of cache.getAll()) {
    for (const observer of query.observers) track(query, observer.options.meta);
  }
  const unsubscribe = cache.subscribe((event) => {
    const { query } = event;
    if (event.type === 'observerAdded') {
      track(query, event.observer.options.meta);
    } else if (event.type === 'removed') {
      releases.get(query.queryHash)?.();
      releases.delete(query.queryHash);
    }
  });
  return () => {
    unsubscribe();
    for (const release of releases.values()) release();
    releases.clear();
  };
}

/**
 * The provider's socket (`<MizanProvider socket={openSocket}>`): a `MizanSocket` watching the
 * cache's contexts once started; none where the browser has no WebSocket and `options` gives none.
 */
export function openSocket(
  client: MizanClient,
  queryClient: QueryClient,
  options: MizanSocketOptions,
): OpenedSocket | null {
  if (!options.WebSocket && typeof globalThis.WebSocket !== 'function') return null;
  const socket = new MizanSocket(client, options);
  return {
    socket,
    start() {
      const stopWatching = watchContexts(queryClient, socket);
      socket.start();
      return () => {
        stopWatching();
        socket.stop();
      };
    },
  };
}

/** A channel: `P` its params, `C` what a client sends, `S` what the group hears. */
export interface MizanChannel<P extends object, C, S> {
  /** Its wire name. */
  readonly name: string;
  /** Type only: the params. */
  readonly __params?: P;
  /** Type only: a client's message. */
  readonly __client?: C;
  /** Type only: what the group hears. */
  readonly __server?: S;
}

/** A channel, for `useMizanChannel` (the generated `useXxxChannel` hooks). */
export function defineChannel<P extends object, C, S>(name: string): MizanChannel<P, C, S> {
  return { name };
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
        : Promise.reject(new MizanError('NOT_IMPLEMENTED', 'realtime is off in this <MizanContext>')),
    [socket, channel.name, stable],
  );
  return { status, messages: heard.key === key ? heard.messages : [], send };
}
