/**
 * `<MizanProvider>`: the client and TanStack Query's client for the tree, the hydrated context
 * values put in the cache before the first render, and one invalidation pass per response.
 */

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';

import { MizanClient, createMizanClient } from '../core/client.js';
import { getMizanHydration, type MizanHydration } from '../core/hydration.js';
import { covers, parseKey, type ParsedKey } from '../core/keys.js';
import { isMizanQueryKey, retryUnlessRefused } from './define.js';

const ClientContext = createContext<MizanClient | null>(null);

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

/** mizan for the tree below. */
export function MizanProvider(props: MizanProviderProps): ReactNode {
  const [client] = useState(() => props.client ?? createMizanClient());
  const [queryClient] = useState(() => {
    const queryClient = props.queryClient ?? createMizanQueryClient();
    const hydration = props.hydration ?? getMizanHydration();
    if (hydration) seedHydration(queryClient, hydration);
    return queryClient;
  });
  useEffect(
    () => client.invalidations.subscribe((keys) => void invalidateCovered(queryClient, keys)),
    [client, queryClient],
  );
  return (
    <ClientContext.Provider value={client}>
      <QueryClientProvider client={queryClient}>{props.children}</QueryClientProvider>
    </ClientContext.Provider>
  );
}

/** The client of the nearest `<MizanProvider>`; throws, saying what to do, outside one. */
export function useMizanClient(): MizanClient {
  const client = useContext(ClientContext);
  if (!client) {
    throw new Error('mizan hooks need a <MizanContext> (or <MizanProvider>) around the app');
  }
  return client;
}
