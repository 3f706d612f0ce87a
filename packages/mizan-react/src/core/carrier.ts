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
