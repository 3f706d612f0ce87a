/**
 * What carries the socket's frames: a WebSocket, or, where an upgrade cannot pass (a proxy that
 * strips `Upgrade`), the fallback: the same frames down as Server-Sent Events from
 * `GET /api/mizan/sse/` and up as one `POST` each, in order, naming the stream by its secret (its
 * first event, `inlet`) in `x-mizan-stream`.
 */

/** The socket's path. */
export const SOCKET_PATH = '/api/mizan/ws/';
/** The fallback's path (`GET` the stream, `POST` a frame). */
export const SSE_PATH = '/api/mizan/sse/';

/** Which carrier a connection uses. */
export type Transport = 'websocket' | 'sse';

/** What a carrier tells its owner. */
export interface CarrierEvents {
  /** A frame's text. */
  message(text: string): void;
  /**
   * The carrier ended (and will not be used again): its close code when it has one, and whether
   * the server spoke over it (a frame arrived: its `hello`).
   */
  closed(code: number | undefined, opened: boolean): void;
}

/** One connection's carrier. */
export interface Carrier {
  readonly transport: Transport;
  /** Whether a frame can be sent now. */
  readonly ready: boolean;
  send(text: string): void;
  /** Ends the connection; `closed` follows. */
  close(code: number, reason: string): void;
}

/** A WebSocket as a carrier. */
export function webSocketCarrier(
  url: string,
  Socket: typeof WebSocket,
  events: CarrierEvents,
): Carrier {
  const socket = new Socket(url);
  // An upgrade that passes and then carries nothing (a proxy that drops it) counts as failed.
  let opened = false;
  socket.onmessage = (event) => {
    opened = true;
    events.message(String(event.data));
  };
  socket.onclose = (event) => {
    events.closed(event.code, opened);
  };
  return {
    transport: 'websocket',
    get ready() {
      return socket.readyState === 1;
    },
    send: (text) => socket.send(text),
    close: (code, reason) => socket.close(code, reason),
  };
}

/** How the fallback reaches its server. */
export interface StreamCarrierOptions {
  readonly url: string;
  readonly EventSource: typeof EventSource;
  readonly fetch: typeof fetch;
  readonly credentials: RequestCredentials;
}

/** The fallback as a carrier: an `EventSource` down, serialized `POST`s up. */
export function streamCarrier(options: StreamCarrierOptions, events: CarrierEvents): Carrier {
  const source = new options.EventSource(options.url, {
    withCredentials: options.credentials === 'include',
  });
  let secret: string | undefined;
  let greeted = false;
  let ended = false;
  // Frames go up one at a time: a `watch` must not overtake the `unwatch` sent before it.
  let posting: Promise<void> = Promise.resolve();
  const end = (code: number | undefined) => {
    if (ended) return;
    ended = true;
    source.close();
    events.closed(code, greeted);
  };
  source.addEventListener('inlet', (event) => {
    secret = String((event as MessageEvent).data);
  });
  source.onmessage = (event: MessageEvent) => {
    greeted = true;
    events.message(String(event.data));
  };
  source.addEventListener('close', (event) => {
    const code = Number((event as MessageEvent).data);
    end(Number.isInteger(code) ? code : undefined);
  });
  // An `EventSource` retries by itself; the owner's backoff decides instead.
  source.onerror = () => end(undefined);
  const post = async (text: string, id: string) => {
    try {
      const response = await options.fetch(options.url, {
        method: 'POST',
        credentials: options.credentials,
        headers: { 'content-type': 'application/json', 'x-mizan-stream': id },
        body: text,
      });
      // The stream is gone on the server (or answers with an error frame that did not pass):
      // open a new one.
      if (!response.ok) end(undefined);
    } catch {
      end(undefined);
    }
  };
  return {
    transport: 'sse',
    get ready() {
      return !ended && greeted && secret !== undefined;
    },
    send: (text) => {
      const id = secret;
      if (ended || id === undefined) return;
      posting = posting.then(() => (ended ? undefined : post(text, id)));
    },
    close: (code) => end(code),
  };
}

/** The `sessionStorage` key under which a tab remembers that it needs the fallback. */
export const TRANSPORT_STORAGE_KEY = 'mizan.transport';

/** Where a socket's carriers connect, and with what; every field has a default. */
export interface CarrierOptions {
  /** The socket's URL (default: this page's origin, `ws:` or `wss:`, at `/api/mizan/ws/`). */
  readonly url?: string;
  /** The WebSocket class (tests; default: the global one). */
  readonly WebSocket?: typeof WebSocket;
  /**
   * `'auto'` (default): a WebSocket, or the fallback where the upgrade does not pass;
   * `'websocket'` or `'sse'`: only that.
   */
  readonly transport?: 'auto' | Transport;
  /** The fallback's URL (default: this page's origin at `/api/mizan/sse/`). */
  readonly streamUrl?: string;
  /** The EventSource class (tests; default: the global one). */
  readonly EventSource?: typeof EventSource;
  /** The `fetch` the fallback posts frames with (tests; default: the global one). */
  readonly fetch?: typeof fetch;
  /** Whether the fallback sends cookies to another origin (default `'same-origin'`). */
  readonly credentials?: RequestCredentials;
  /** Where the tab remembers that it needs the fallback (default: `sessionStorage`). */
  readonly storage?: Pick<Storage, 'getItem' | 'setItem'>;
}

/**
 * `path` on this page's host (`undefined` without one): `ws:` or `wss:` for a WebSocket (`socket`),
 * else the page's own scheme.
 */
function pageUrl(path: string, socket: boolean): string | undefined {
  const location = globalThis.location;
  if (!location?.host) return undefined;
  const secure = location.protocol === 'https:';
  const scheme = socket ? (secure ? 'wss:' : 'ws:') : location.protocol;
  return `${scheme}//${location.host}${path}`;
}

/**
 * Does `use` with the tab's storage (the option, else `sessionStorage`); `undefined` where there
 * is none or it refuses (privacy mode: the tab tries a WebSocket first on each reconnect).
 */
function withStorage<T>(
  options: CarrierOptions,
  use: (storage: Pick<Storage, 'getItem' | 'setItem'>) => T,
): T | undefined {
  try {
    const storage = options.storage ?? globalThis.sessionStorage;
    return storage ? use(storage) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the socket picks its carrier by itself (the fallback where a WebSocket fails). */
export function choosesCarrier(options: CarrierOptions): boolean {
  return (options.transport ?? 'auto') === 'auto';
}

/** The carrier a connection uses: the option, else what the tab remembered, else a WebSocket. */
export function rememberedTransport(options: CarrierOptions): Transport {
  const chosen = options.transport ?? 'auto';
  if (chosen !== 'auto') return chosen;
  const remembered = withStorage(options, (storage) => storage.getItem(TRANSPORT_STORAGE_KEY));
  return remembered === 'sse' ? 'sse' : 'websocket';
}

/** The fallback worked where the WebSocket did not: the tab keeps it. */
export function rememberStream(options: CarrierOptions): void {
  withStorage(options, (storage) => storage.setItem(TRANSPORT_STORAGE_KEY, 'sse'));
}

/**
 * Opens a carrier over `transport`; `undefined` where there is nothing to connect with (no URL,
 * no WebSocket or EventSource class). Throws where the constructor refuses (a malformed URL).
 */
export function openCarrier(
  transport: Transport,
  options: CarrierOptions,
  events: CarrierEvents,
): Carrier | undefined {
  if (transport === 'sse') {
    const url = options.streamUrl ?? pageUrl(SSE_PATH, false);
    const EventSourceClass = options.EventSource ?? globalThis.EventSource;
    const fetchFn = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (!url || !EventSourceClass || !fetchFn) return undefined;
    return streamCarrier(
      {
        url,
        EventSource: EventSourceClass,
        fetch: fetchFn,
        credentials: options.credentials ?? 'same-origin',
      },
      events,
    );
  }
  const url = options.url ?? pageUrl(SOCKET_PATH, true);
  const Socket = options.WebSocket ?? globalThis.WebSocket;
  if (!url || !Socket) return undefined;
  return webSocketCarrier(url, Socket, events);
}
