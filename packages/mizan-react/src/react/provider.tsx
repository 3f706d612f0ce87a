/**
 * `<MizanProvider>`: the client and TanStack Query's client for the tree, the hydrated context
 * values put in the cache before the first render, and one invalidation pass per response. The
 * socket is not imported here: the provider opens it through its `socket` prop (`openSocket` from
 * `mizan-react/realtime`), so an app without contexts or channels does not carry it.
 */

import { QueryClient, QueryClientProvider, type Query } from '@tanstack/react-query';
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
import { parseKey, type ParsedKey } from '../core/keys.js';
import type { MizanSocket, MizanSocketOptions, SocketStatus } from '../core/socket.js';
import { retryUnlessRefused } from './define.js';
import { coveredBy } from './query-keys.js';

const ClientContext = createContext<MizanClient | null>(null);
const SocketContext = createContext<MizanSocket | null>(null);

/** A socket opened for a provider, not yet started. */
export interface OpenedSocket {
  readonly socket: MizanSocket;
  /** Connects it, watching the contexts in the provider's cache; returns what stops both. */
  start(): () => void;
}

/**
 * How `<MizanProvider>` opens the tab's socket: `openSocket` from `mizan-react/realtime`; `null`
 * where the browser has nothing to connect with.
 */
export type OpenSocket = (
  client: MizanClient,
  queryClient: QueryClient,
  options: MizanSocketOptions,
) => OpenedSocket | null;

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
   * What opens the socket that brings other clients' invalidations and the channels:
   * `openSocket` from `mizan-react/realtime`, which the generated `<MizanContext>` passes when
   * the app has contexts or channels. Without it there is no socket.
   */
  readonly socket?: OpenSocket;
  /**
   * The socket's options (default: on wherever the browser has WebSockets); `false` turns it off.
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

/** The queries on their first load that will be invalidated again once it ends. */
const followedUp = new WeakSet<Query>();

/**
 * Refreshes, in one pass, every live mizan query some key covers: each once however many keys
 * cover it, its old data shown until the new arrives.
 */
export function invalidateCovered(queryClient: QueryClient, keys: readonly string[]): Promise<void> {
  const covered = coveredBy(keys);
  // A query on its first load is not refetched: TanStack joins the load under way, which may
  // have read the server before the change. It is invalidated again once that load ends.
  const loading = queryClient.getQueryCache().findAll({
    fetchStatus: 'fetching',
    predicate: (query) => query.state.data === undefined && covered(query.queryKey),
  });
  for (const query of loading) {
    // One follow-up per load, however many invalidations arrive during it.
    if (followedUp.has(query)) continue;
    followedUp.add(query);
    const unsubscribe = queryClient.getQueryCache().subscribe((event) => {
      if (event.query !== query) return;
      // Observers hear of a change before the cache's own `updated` event, which names it.
      const ended =
        event.type === 'removed' ||
        (event.type === 'updated' && query.state.fetchStatus === 'idle');
      if (!ended) return;
      unsubscribe();
      followedUp.delete(query);
      // Only a load that brought a value: a failed one is retried by TanStack's own rules, a
      // cancelled one stays cancelled.
      if (event.type === 'updated' && event.action.type === 'success') {
        void queryClient.invalidateQueries({ queryKey: query.queryKey, exact: true });
      }
    });
  }
  return queryClient.invalidateQueries({ predicate: ({ queryKey }) => covered(queryKey) });
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
  const [opened] = useState(() => {
    const realtime = props.realtime ?? true;
    if (realtime === false || !props.socket) return null;
    return props.socket(client, queryClient, realtime === true ? {} : realtime);
  });
  useEffect(
    () => client.invalidations.subscribe((keys) => void invalidateCovered(queryClient, keys)),
    [client, queryClient],
  );
  useEffect(() => opened?.start(), [opened]);
  return (
    <ClientContext.Provider value={client}>
      <SocketContext.Provider value={opened?.socket ?? null}>
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
    throw new Error('mizan hooks need a <MizanContext> around the app');
  }
  return client;
}
