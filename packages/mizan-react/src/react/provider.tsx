/**
 * `<MizanProvider>`: the client and TanStack Query's client for the tree, the hydrated context
 * values put in the cache before the first render, and one invalidation pass per response.
 */

import {
  QueryClient,
  QueryClientProvider,
  type Query,
  type QueryMeta,
} from '@tanstack/react-query';
import {
  createContext,
  useContext,
  useEffect,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';

import { MizanClient, createMizanClient } from '../core/client.js';
import { getMizanHydration, type MizanHydration } from '../core/hydration.js';
import { canonicalKey, covers, parseKey, type ParsedKey } from '../core/keys.js';
import { MizanSocket, type MizanSocketOptions, type SocketStatus } from '../core/socket.js';
import { isMizanQueryKey, retryUnlessRefused } from './define.js';

const ClientContext = createContext<MizanClient | null>(null);
const SocketContext = createContext<MizanSocket | null>(null);

/** What `<MizanProvider>` takes; every prop has a default. */
export interface MizanProviderProps {
  /** The app. */
  readonly children?: ReactNode;
  /** The mizan client (default: one for this page's origin). */
  readonly client?: MizanClient;
  /** TanStack Query's client (default: one that never retries a refused call). */
  readonly queryClient?: QueryClient;
  /** Context values to start from (default: the payload the server put in the page, if any). */
  readonly hydration?: MizanHydration;
  /**
   * The socket that brings other clients' invalidations (default: on wherever the browser has
   * WebSockets); `false` turns it off, an object sets its options.
   */
  readonly realtime?: boolean | MizanSocketOptions;
}

/** A query client with mizan's defaults: no retry for a 4xx, none for mutations. */
export function createMizanQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: retryUnlessRefused },
      mutations: { retry: false },
    },
  });
}

/** Puts each hydrated value where the query of its context instance will look. */
export function seedHydration(queryClient: QueryClient, hydration: MizanHydration): void {
  for (const [key, value] of Object.entries(hydration.contexts)) {
    let parsed: ParsedKey;
    try {
      parsed = parseKey(key);
    } catch {
      continue;
    }
    queryClient.setQueryData(['mizan', parsed.name, parsed.params], value);
  }
}

/**
 * Refreshes, in one pass, every live mizan query some key covers: each once however many keys
 * cover it, its old data shown until the new arrives.
 */
export function invalidateCovered(queryClient: QueryClient, keys: readonly string[]): Promise<void> {
  const parsed = keys.flatMap((key) => {
    try {
      return [parseKey(key)];
    } catch {
      return [];
    }
  });
  return queryClient.invalidateQueries({
    predicate: ({ queryKey }) =>
      isMizanQueryKey(queryKey) &&
      parsed.some((key) => covers(key, queryKey[1], queryKey[2])),
  });
}

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

/** mizan for the tree below. */
export function MizanProvider(props: MizanProviderProps): ReactNode {
  const [client] = useState(() => props.client ?? createMizanClient());
  const [queryClient] = useState(() => {
    const queryClient = props.queryClient ?? createMizanQueryClient();
    const hydration = props.hydration ?? getMizanHydration();
    if (hydration) seedHydration(queryClient, hydration);
    return queryClient;
  });
  const [socket] = useState(() => {
    const realtime = props.realtime ?? true;
    if (realtime === false) return null;
    const options = realtime === true ? {} : realtime;
    return options.WebSocket || typeof globalThis.WebSocket === 'function'
      ? new MizanSocket(client, options)
      : null;
  });
  useEffect(
    () => client.invalidations.subscribe((keys) => void invalidateCovered(queryClient, keys)),
    [client, queryClient],
  );
  useEffect(() => {
    if (!socket) return undefined;
    const stopWatching = watchContexts(queryClient, socket);
    socket.start();
    return () => {
      stopWatching();
      socket.stop();
    };
  }, [socket, queryClient]);
  return (
    <ClientContext.Provider value={client}>
      <SocketContext.Provider value={socket}>
        <QueryClientProvider client={queryClient}>{props.children}</QueryClientProvider>
      </SocketContext.Provider>
    </ClientContext.Provider>
  );
}

const noSocket = () => () => {};

/** The socket's status (`disconnected` when realtime is off), re-rendering on each change. */
export function useMizanSocketStatus(): SocketStatus {
  const socket = useContext(SocketContext);
  return useSyncExternalStore(
    socket ? (notify) => socket.onStatus(notify) : noSocket,
    () => socket?.status ?? 'disconnected',
    () => 'disconnected',
  );
}

/** The socket of the nearest `<MizanProvider>` (`null` with realtime off). */
export function useMizanSocket(): MizanSocket | null {
  return useContext(SocketContext);
}

/** The client of the nearest `<MizanProvider>`; throws, saying what to do, outside one. */
export function useMizanClient(): MizanClient {
  const client = useContext(ClientContext);
  if (!client) {
    throw new Error('mizan hooks need a <MizanContext> (or <MizanProvider>) around the app');
  }
  return client;
}
