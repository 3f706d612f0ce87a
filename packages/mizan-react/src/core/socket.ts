/**
 * The socket: one WebSocket per tab to `/api/mizan/ws/`, watching the keys of the live contexts
 * and handing the server's pushed invalidations to the client's bus. It reconnects by itself
 * (jittered exponential backoff from 250 ms to 10 s, at once when the browser comes back online or
 * the page is shown again), re-watches, and refetches every live context once after a reconnect,
 * since pushes may have been missed meanwhile.
 *
 * Where the upgrade cannot pass (a WebSocket that never opens while the server answers), the same
 * frames flow over the fallback (`carrier.ts`): tried at once after such a failure, and, once it
 * worked, used for the rest of the tab's life (remembered in `sessionStorage`).
 */

import {
  type Carrier,
  SOCKET_PATH,
  SSE_PATH,
  type Transport,
  streamCarrier,
  webSocketCarrier,
} from './carrier.js';
import type { Envelope, MizanClient } from './client.js';
import { MizanError } from './errors.js';
import { canonicalJson, type KeyParams } from './keys.js';

/**
 * A subscription's identity: the channel and its params in the server's canonical form (keys
 * sorted, null members left out), as its `message` frames carry them.
 */
export function channelKey(channel: string, params: KeyParams): string {
  return `${channel}:${canonicalJson(params, true)}`;
}

export { SOCKET_PATH, SSE_PATH, type Transport } from './carrier.js';

/** Where the socket stands. */
export type SocketStatus = 'connecting' | 'connected' | 'disconnected';

/** How the socket connects; every field has a default. */
export interface MizanSocketOptions {
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
  /** First reconnect delay, in ms (default 250); it doubles up to `maxDelay`. */
  readonly initialDelay?: number;
  /** Longest reconnect delay, in ms (default 10 000). */
  readonly maxDelay?: number;
}

/** A connection this long is stable: the next failure starts the backoff again. */
const STABLE_AFTER_MS = 10_000;
/** The client's heartbeat. */
const PING_EVERY_MS = 25_000;
/** Silence this long means the server is gone: reconnect. */
const DEAD_AFTER_MS = 60_000;
/** A connection without its `hello` this long failed (a proxy holding the stream back, say). */
const HELLO_WITHIN_MS = 10_000;
/** The close code the server sends when the session ended (sign-in, sign-out). */
const SESSION_ENDED = 4001;

interface ServerFrame {
  type?: string;
  connection?: string;
  keys?: string[];
  id?: number;
  error?: unknown;
  channel?: string;
  params?: KeyParams;
  message?: unknown;
  result?: unknown;
  invalidate?: string[];
}

/** Hears a channel's messages. */
export type ChannelListener = (message: unknown) => void;

interface Subscription {
  channel: string;
  params: KeyParams;
  listeners: Set<ChannelListener>;
}

/** The default socket URL, from the page's location. */
function defaultUrl(): string | undefined {
  const location = globalThis.location;
  if (!location?.host) return undefined;
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${SOCKET_PATH}`;
}

/** The default fallback URL, from the page's location. */
function defaultStreamUrl(): string | undefined {
  const location = globalThis.location;
  if (!location?.host) return undefined;
  return `${location.protocol}//${location.host}${SSE_PATH}`;
}

/** The `sessionStorage` key under which a tab remembers that it needs the fallback. */
export const TRANSPORT_STORAGE_KEY = 'mizan.transport';

/** `sessionStorage`, where there is one and it may be used. */
function defaultStorage(): Pick<Storage, 'getItem' | 'setItem'> | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}

/** One tab's socket. */
export class MizanSocket {
  readonly #client: MizanClient;
  readonly #options: MizanSocketOptions;
  readonly #watched = new Map<string, number>();
  readonly #statusListeners = new Set<(status: SocketStatus) => void>();
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #pending = new Map<
    number,
    { resolve: (envelope: Envelope | undefined) => void; reject: (error: MizanError) => void }
  >();
  #nextId = 1;
  #status: SocketStatus = 'disconnected';
  #socket: Carrier | undefined;
  /** The next connection's carrier, for this attempt only (a fallback right after a failure). */
  #next: Transport | undefined;
  #running = false;
  #attempt = 0;
  #everConnected = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #stable: ReturnType<typeof setTimeout> | undefined;
  #hello: ReturnType<typeof setTimeout> | undefined;
  #lastHeard = 0;
  readonly #wake = () => {
    if (this.#running && this.#status === 'disconnected') this.#connect();
  };

  constructor(client: MizanClient, options: MizanSocketOptions = {}) {
    this.#client = client;
    this.#options = options;
  }

  /** Where the socket stands. */
  get status(): SocketStatus {
    return this.#status;
  }

  /** What carries the frames of the current connection (`undefined` while there is none). */
  get transport(): Transport | undefined {
    return this.#socket?.transport;
  }

  /** Calls `listener` on every status change; returns what unsubscribes it. */
  onStatus(listener: (status: SocketStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => {
      this.#statusListeners.delete(listener);
    };
  }

  /** Connects, and keeps reconnecting until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    globalThis.addEventListener?.('online', this.#wake);
    globalThis.addEventListener?.('pageshow', this.#wake);
    this.#connect();
  }

  /** Closes the socket for good. */
  stop(): void {
    this.#running = false;
    globalThis.removeEventListener?.('online', this.#wake);
    globalThis.removeEventListener?.('pageshow', this.#wake);
    clearTimeout(this.#retry);
    this.#teardown();
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, 'stopped');
    for (const { reject } of this.#pending.values()) {
      reject(new MizanError('NETWORK_ERROR', 'the socket was stopped'));
    }
    this.#pending.clear();
    this.#client.setConnection(undefined);
    this.#client.setSocketRpc(undefined);
    this.#setStatus('disconnected');
  }

  /**
   * Watches a context instance's canonical key while the returned function has not been
   * called: its invalidations, made by anyone, reach the bus. Counted: two watchers of one key
   * watch it once.
   */
  watch(key: string): () => void {
    const count = this.#watched.get(key) ?? 0;
    this.#watched.set(key, count + 1);
    if (count === 0) this.#send({ action: 'watch', keys: [key] });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#watched.get(key) ?? 1) - 1;
      if (left > 0) {
        this.#watched.set(key, left);
      } else {
        this.#watched.delete(key);
        this.#send({ action: 'unwatch', keys: [key] });
      }
    };
  }

  /**
   * Hears `channel` with `params` while the returned function has not been called. The first
   * listener of a subscription subscribes the socket (now, or whenever it connects).
   */
  subscribe(channel: string, params: KeyParams, listener: ChannelListener): () => void {
    const key = channelKey(channel, params);
    let subscription = this.#subscriptions.get(key);
    if (!subscription) {
      subscription = { channel, params, listeners: new Set() };
      this.#subscriptions.set(key, subscription);
      this.#send({ action: 'subscribe', id: this.#nextId++, channel, params });
    }
    subscription.listeners.add(listener);
    const held = subscription;
    return () => {
      held.listeners.delete(listener);
      if (held.listeners.size === 0 && this.#subscriptions.get(key) === held) {
        this.#subscriptions.delete(key);
        this.#send({ action: 'unsubscribe', channel, params });
      }
    };
  }

  /**
   * Sends `message` to `channel` with `params` (subscribe first); resolves when the server took
   * it, rejects with its `MizanError`, or `NETWORK_ERROR` when the socket is not connected.
   */
  sendMessage(channel: string, params: KeyParams, message: unknown): Promise<void> {
    return this.#request({ action: 'send', channel, params, message }).then(() => undefined);
  }

  /** Calls `fn` over the socket: the same envelope as HTTP. */
  rpc(fn: string, args: object): Promise<Envelope> {
    return this.#request({ action: 'rpc', fn, args }).then((envelope) => {
      if (!envelope) throw new MizanError('INVALID_RESPONSE', `\`${fn}\` answered without a result`);
      return envelope;
    });
  }

  #request(frame: object): Promise<Envelope | undefined> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (!this.#send({ ...frame, id })) {
        reject(new MizanError('NETWORK_ERROR', 'the socket is not connected: try again'));
        return;
      }
      this.#pending.set(id, { resolve, reject });
    });
  }

  /** The carrier of the next connection: the option, else what the tab remembered, else a WebSocket. */
  #transport(): Transport {
    const chosen = this.#options.transport ?? 'auto';
    if (chosen !== 'auto') return chosen;
    const next = this.#next;
    this.#next = undefined;
    if (next) return next;
    let remembered: string | null | undefined;
    try {
      remembered = (this.#options.storage ?? defaultStorage())?.getItem(TRANSPORT_STORAGE_KEY);
    } catch {
      remembered = undefined;
    }
    return remembered === 'sse' ? 'sse' : 'websocket';
  }

  #remember(transport: Transport): void {
    try {
      (this.#options.storage ?? defaultStorage())?.setItem(TRANSPORT_STORAGE_KEY, transport);
    } catch {
      // Storage refused (privacy mode): the tab tries a WebSocket first on each reconnect.
    }
  }

  #open(transport: Transport, events: Parameters<typeof webSocketCarrier>[2]): Carrier | undefined {
    if (transport === 'sse') {
      const url = this.#options.streamUrl ?? defaultStreamUrl();
      const EventSourceClass = this.#options.EventSource ?? globalThis.EventSource;
      const fetchFn = this.#options.fetch ?? globalThis.fetch?.bind(globalThis);
      if (!url || !EventSourceClass || !fetchFn) return undefined;
      return streamCarrier(
        {
          url,
          EventSource: EventSourceClass,
          fetch: fetchFn,
          credentials: this.#options.credentials ?? 'same-origin',
        },
        events,
      );
    }
    const url = this.#options.url ?? defaultUrl();
    const Socket = this.#options.WebSocket ?? globalThis.WebSocket;
    if (!url || !Socket) return undefined;
    return webSocketCarrier(url, Socket, events);
  }

  #connect(): void {
    clearTimeout(this.#retry);
    const transport = this.#transport();
    let carrier: Carrier | undefined;
    const events = {
      message: (text: string) => {
        if (carrier !== this.#socket) return;
        this.#lastHeard = Date.now();
        this.#receive(text);
      },
      closed: (code: number | undefined, opened: boolean) => {
        if (carrier !== this.#socket) return;
        this.#closed(transport, code, opened);
      },
    };
    try {
      carrier = this.#open(transport, events);
    } catch {
      // A malformed URL, a refused constructor: like a failed connection.
      this.#setStatus('disconnected');
      this.#scheduleReconnect();
      return;
    }
    if (!carrier) {
      // Nothing to connect with here (no URL, no WebSocket or EventSource class).
      this.#setStatus('disconnected');
      if (transport === 'sse' && this.#running) this.#scheduleReconnect();
      return;
    }
    this.#setStatus('connecting');
    this.#socket = carrier;
    clearTimeout(this.#hello);
    const waiting = carrier;
    this.#hello = setTimeout(() => {
      if (this.#socket === waiting && this.#status !== 'connected') waiting.close(4000, 'no hello');
    }, HELLO_WITHIN_MS);
  }

  #closed(transport: Transport, code: number | undefined, opened: boolean): void {
    this.#socket = undefined;
    this.#teardown();
    this.#client.setConnection(undefined);
    this.#client.setSocketRpc(undefined);
    for (const { reject } of this.#pending.values()) {
      reject(new MizanError('NETWORK_ERROR', 'the socket closed: try again'));
    }
    this.#pending.clear();
    if (!this.#running) {
      this.#setStatus('disconnected');
      return;
    }
    // A WebSocket that never opened: the upgrade may be what fails (a proxy stripping it).
    // Try the fallback at once, before waiting.
    if (
      transport === 'websocket' &&
      !opened &&
      (this.#options.transport ?? 'auto') === 'auto'
    ) {
      this.#next = 'sse';
      this.#connect();
      return;
    }
    this.#setStatus('disconnected');
    // The session changed under the socket: reconnect as who the visitor now is, at once.
    if (code === SESSION_ENDED) this.#attempt = 0;
    this.#scheduleReconnect(code === SESSION_ENDED ? 0 : undefined);
  }

  #receive(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    if (frame.type === 'hello' && typeof frame.connection === 'string') {
      // The fallback worked where the WebSocket did not: keep it for this tab.
      if (this.#socket?.transport === 'sse' && (this.#options.transport ?? 'auto') === 'auto') {
        this.#remember('sse');
      }
      this.#client.setConnection(frame.connection);
      this.#client.setSocketRpc((fn, args) => this.rpc(fn, args));
      this.#setStatus('connected');
      const keys = [...this.#watched.keys()];
      if (keys.length > 0) this.#send({ action: 'watch', keys });
      for (const { channel, params } of this.#subscriptions.values()) {
        this.#send({ action: 'subscribe', id: this.#nextId++, channel, params });
      }
      const reconnected = this.#everConnected;
      this.#everConnected = true;
      this.#startHeartbeat();
      this.#stable = setTimeout(() => {
        this.#attempt = 0;
      }, STABLE_AFTER_MS);
      // Pushes made while the socket was down are lost: refetch what is live, once.
      if (reconnected && keys.length > 0) this.#client.invalidate(keys);
    } else if (frame.type === 'invalidate' && Array.isArray(frame.keys)) {
      this.#client.invalidate(frame.keys.filter((key): key is string => typeof key === 'string'));
    } else if (frame.type === 'message' && typeof frame.channel === 'string' && frame.params) {
      const subscription = this.#subscriptions.get(channelKey(frame.channel, frame.params));
      for (const listener of [...(subscription?.listeners ?? [])]) listener(frame.message);
    } else if (
      (frame.type === 'sent' || frame.type === 'result' || frame.type === 'error') &&
      typeof frame.id === 'number'
    ) {
      const waiting = this.#pending.get(frame.id);
      this.#pending.delete(frame.id);
      if (frame.type === 'error') {
        waiting?.reject(MizanError.fromBody({ error: frame.error }, 0));
      } else if (frame.type === 'result') {
        const invalidate = Array.isArray(frame.invalidate) ? frame.invalidate : [];
        waiting?.resolve({ result: frame.result, invalidate });
      } else {
        waiting?.resolve(undefined);
      }
    }
  }

  /** Sends a frame if connected; `false` when not (it is re-sent on connect where that applies). */
  #send(frame: object): boolean {
    const socket = this.#socket;
    if (socket && this.#status === 'connected' && socket.ready) {
      socket.send(JSON.stringify({ v: 1, ...frame }));
      return true;
    }
    return false;
  }

  #startHeartbeat(): void {
    this.#lastHeard = Date.now();
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastHeard > DEAD_AFTER_MS) {
        // Silence: the server or the path to it is gone. Closing fires `onclose`: reconnect.
        this.#socket?.close(4000, 'no answer');
        return;
      }
      this.#send({ action: 'ping' });
    }, PING_EVERY_MS);
  }

  #teardown(): void {
    clearInterval(this.#heartbeat);
    clearTimeout(this.#stable);
    clearTimeout(this.#hello);
  }

  #scheduleReconnect(delay?: number): void {
    const initial = this.#options.initialDelay ?? 250;
    const max = this.#options.maxDelay ?? 10_000;
    const ceiling = Math.min(max, initial * 2 ** this.#attempt);
    this.#attempt += 1;
    // Full jitter over the upper half: tabs of one server do not come back in step.
    const wait = delay ?? ceiling / 2 + Math.random() * (ceiling / 2);
    this.#retry = setTimeout(() => this.#connect(), wait);
  }

  #setStatus(status: SocketStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    for (const listener of [...this.#statusListeners]) listener(status);
  }
}
