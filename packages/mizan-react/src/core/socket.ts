/**
 * The socket: one WebSocket per tab to `/api/mizan/ws/`, watching the keys of the live contexts
 * and handing the server's pushed invalidations to the client's bus. It reconnects by itself
 * (`backoff.ts`; at once when the browser comes back online or the page is shown again),
 * re-watches, and refetches every live context once after a reconnect, since pushes may have
 * been missed meanwhile, less what this tab's own answers just refreshed (`watched.ts`).
 *
 * Where the upgrade cannot pass (a WebSocket that never opens while the server answers), the same
 * frames flow over the fallback (`carrier.ts`): tried at once after such a failure, and, once it
 * worked, used for the rest of the tab's life (remembered in `sessionStorage`).
 *
 * A connection acts as who the tab was when it opened. When one of the client's responses says
 * the session changed hands (`IDENTITY_HEADER`: signed in or out), the socket closes it and
 * opens another at once, under the cookie that response set, then re-watches, re-subscribes and
 * refetches what is live as after any reconnect; and it tells the tab's siblings of the same
 * origin (Leptos or React) on the `BroadcastChannel` `IDENTITY_CHANNEL`, which do the same.
 *
 * Layers: `frames`, `backoff`, `watched`, `carrier` ← this module.
 */

import { reconnectDelay } from './backoff.js';
import {
  type Carrier,
  type CarrierOptions,
  type Transport,
  choosesCarrier,
  openCarrier,
  rememberStream,
  rememberedTransport,
} from './carrier.js';
import { IDENTITY_CHANGED, type Envelope, type MizanClient } from './client.js';
import { listen, tellEach } from './bus.js';
import { MizanError } from './errors.js';
import {
  CLOSE_CODES,
  type ClientFrame,
  MAX_SOCKET_MESSAGE_BYTES,
  PACING_MS,
  type ServerFrame,
  encodeClientFrame,
  fitsOneMessage,
  keyBatches,
  readServerFrame,
} from './frames.js';
import { canonicalJson, type KeyParams } from './keys.js';
import { OWN_KEY_WINDOW_MS, OwnKeys, WatchedKeys } from './watched.js';

/**
 * A subscription's identity: the channel and its params in the server's canonical form (keys
 * sorted, null members left out), as its `message` frames carry them.
 */
export function channelKey(channel: string, params: KeyParams): string {
  return `${channel}:${canonicalJson(params, true)}`;
}

export { SOCKET_PATH, SSE_PATH, TRANSPORT_STORAGE_KEY, type Transport } from './carrier.js';

/**
 * The `BroadcastChannel` on which a tab tells the other tabs of its origin that the session
 * changed hands (the message: `IDENTITY_CHANGED`); the Leptos runtime uses the same.
 */
export const IDENTITY_CHANNEL = 'mizan-identity';

/** Where the socket stands. */
export type SocketStatus = 'connecting' | 'connected' | 'disconnected';

/** How the socket connects; every field has a default. */
export interface MizanSocketOptions extends CarrierOptions {
  /** First reconnect delay's ceiling, in ms (default 250); it doubles up to `maxDelay`. */
  readonly initialDelay?: number;
  /** Longest reconnect delay, in ms (default 10 000). */
  readonly maxDelay?: number;
  /**
   * The BroadcastChannel class the tab tells its siblings with (tests; default: the global one;
   * `null`: no siblings are told or heard).
   */
  readonly BroadcastChannel?: typeof BroadcastChannel | null;
}

/** Hears a channel's messages. */
export type ChannelListener = (message: unknown) => void;

interface Subscription {
  channel: string;
  params: KeyParams;
  listeners: Set<ChannelListener>;
}

/** A request waiting for its answer frame. */
interface Pending {
  resolve: (envelope: Envelope | undefined) => void;
  reject: (error: MizanError) => void;
}

/** Client frames that carry a request id, without it. */
type Request = ClientFrame extends infer F
  ? F extends { id: number }
    ? Omit<F, 'id'>
    : never
  : never;

/** One tab's socket. */
export class MizanSocket {
  readonly #client: MizanClient;
  readonly #options: MizanSocketOptions;
  readonly #watched = new WatchedKeys();
  readonly #own = new OwnKeys();
  readonly #statusListeners = new Set<(status: SocketStatus) => void>();
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #status: SocketStatus = 'disconnected';
  #socket: Carrier | undefined;
  /** The next connection's carrier, for this attempt only (a fallback right after a failure). */
  #next: Transport | undefined;
  #running = false;
  #attempt = 0;
  #everConnected = false;
  /** Set while this socket hands pushed keys to the bus: those are not this tab's own. */
  #pushing = false;
  #stopHearingAnswers: (() => void) | undefined;
  #stopHearingSettled: (() => void) | undefined;
  #stopHearingIdentity: (() => void) | undefined;
  /** The tab's end of `IDENTITY_CHANNEL`, while running. */
  #siblings: BroadcastChannel | undefined;
  /** Keys a reconnect must refresh, waiting for this tab's calls under way (see #refreshForeign). */
  readonly #held = new Set<string>();
  #release: ReturnType<typeof setTimeout> | undefined;
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
    return listen(this.#statusListeners, listener);
  }

  /** Connects, and keeps reconnecting until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    globalThis.addEventListener?.('online', this.#wake);
    globalThis.addEventListener?.('pageshow', this.#wake);
    this.#stopHearingAnswers = this.#client.invalidations.subscribe((keys) => {
      if (!this.#pushing) this.#own.note(keys, Date.now());
    });
    this.#stopHearingSettled = this.#client.onSettled(() => this.#releaseHeld());
    this.#stopHearingIdentity = this.#client.onIdentityChanged(() => {
      this.#reopen();
      this.#tellSiblings();
    });
    this.#hearSiblings();
    this.#connect();
  }

  /** Closes the socket for good. */
  stop(): void {
    this.#running = false;
    globalThis.removeEventListener?.('online', this.#wake);
    globalThis.removeEventListener?.('pageshow', this.#wake);
    this.#stopHearingAnswers?.();
    this.#stopHearingSettled?.();
    this.#stopHearingIdentity?.();
    this.#siblings?.close();
    this.#siblings = undefined;
    this.#drop('stopped', 'the socket was stopped');
    this.#setStatus('disconnected');
  }

  /**
   * Watches a context instance's canonical key while the returned function has not been
   * called: its invalidations, made by anyone, reach the bus. Counted: two watchers of one key
   * watch it once.
   */
  watch(key: string): () => void {
    if (this.#watched.add(key)) this.#send({ action: 'watch', keys: [key] });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (this.#watched.remove(key)) this.#send({ action: 'unwatch', keys: [key] });
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

  /**
   * Calls `fn` over the socket: the same envelope as HTTP. A call larger than one socket message
   * is not sent: it rejects with `PAYLOAD_TOO_LARGE` (the client's calls go over HTTP then).
   */
  rpc(fn: string, args: object): Promise<Envelope> {
    return this.#request({ action: 'rpc', fn, args }).then((envelope) => {
      if (!envelope) throw new MizanError('INVALID_RESPONSE', `\`${fn}\` answered without a result`);
      return envelope;
    });
  }

  #request(frame: Request): Promise<Envelope | undefined> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const sent = this.#trySend({ ...frame, id } as ClientFrame);
      if (sent === 'closed') {
        reject(new MizanError('NETWORK_ERROR', 'the socket is not connected: try again'));
        return;
      }
      if (sent === 'too-large') {
        const kib = MAX_SOCKET_MESSAGE_BYTES / 1024;
        reject(new MizanError('PAYLOAD_TOO_LARGE', `the message is larger than a socket message may be (${kib} KiB)`));
        return;
      }
      this.#pending.set(id, { resolve, reject });
    });
  }

  /** Listens on `IDENTITY_CHANNEL` where the browser has one: a sibling's sign-in reopens too. */
  #hearSiblings(): void {
    const Channel = this.#options.BroadcastChannel === undefined
      ? globalThis.BroadcastChannel
      : this.#options.BroadcastChannel;
    if (!Channel) return;
    try {
      this.#siblings = new Channel(IDENTITY_CHANNEL);
    } catch {
      // A channel refused (an opaque origin): this tab learns only from its own answers.
      return;
    }
    this.#siblings.onmessage = (event: MessageEvent) => {
      // Anything else on the channel (another version's message) is not ours to act on.
      if (event.data === IDENTITY_CHANGED) this.#reopen();
    };
  }

  /** Tells the siblings the session changed hands (a tab does not hear its own message). */
  #tellSiblings(): void {
    try {
      this.#siblings?.postMessage(IDENTITY_CHANGED);
    } catch {
      // The channel closed as the page unloads: nobody is left to tell.
    }
  }

  /**
   * The session changed hands: the connection (or the wait for the next) acts as who the tab
   * was, so it ends, and another opens at once. Requests on it fail with `NETWORK_ERROR` (try
   * again). What the page shows was fetched as the old identity, and its pushes were the old
   * identity's: the next `hello` refetches everything live, as after any reconnect.
   */
  #reopen(): void {
    if (!this.#running) return;
    // Held keys are live ones, which the next `hello` refetches anyway.
    this.#drop('the session changed', 'the socket reopened for the new session: try again');
    this.#everConnected = true;
    this.#attempt = 0;
    this.#next = undefined;
    this.#connect();
  }

  #connect(): void {
    clearTimeout(this.#retry);
    const transport = this.#next ?? rememberedTransport(this.#options);
    this.#next = undefined;
    let carrier: Carrier | undefined;
    const events = {
      message: (text: string) => {
        if (carrier !== this.#socket) return;
        this.#lastHeard = Date.now();
        const frame = readServerFrame(text);
        if (frame) this.#receive(frame);
      },
      closed: (code: number | undefined, opened: boolean) => {
        if (carrier !== this.#socket) return;
        this.#closed(transport, code, opened);
      },
    };
    try {
      carrier = openCarrier(transport, this.#options, events);
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
      if (this.#socket === waiting && this.#status !== 'connected') {
        waiting.close(CLOSE_CODES.unanswered, 'no hello');
      }
    }, PACING_MS.helloWithin);
  }

  #closed(transport: Transport, code: number | undefined, opened: boolean): void {
    this.#drop(undefined, 'the socket closed: try again');
    if (!this.#running) {
      this.#setStatus('disconnected');
      return;
    }
    // A WebSocket that never opened: the upgrade may be what fails (a proxy stripping it).
    // Try the fallback at once, before waiting.
    if (transport === 'websocket' && !opened && choosesCarrier(this.#options)) {
      this.#next = 'sse';
      this.#connect();
      return;
    }
    this.#setStatus('disconnected');
    // The session changed under the socket: reconnect as who the visitor now is, at once.
    const sessionEnded = code === CLOSE_CODES.sessionEnded;
    if (sessionEnded) this.#attempt = 0;
    this.#scheduleReconnect(sessionEnded ? 0 : undefined);
  }

  #receive(frame: ServerFrame): void {
    switch (frame.type) {
      case 'hello':
        return this.#greet(frame.connection);
      case 'invalidate':
        return this.#push(frame.keys);
      case 'message': {
        const subscription = this.#subscriptions.get(channelKey(frame.channel, frame.params));
        for (const listener of [...(subscription?.listeners ?? [])]) listener(frame.message);
        return;
      }
      case 'result':
        return this.#answer(frame.id)?.resolve({ result: frame.result, invalidate: frame.invalidate });
      case 'sent':
        return this.#answer(frame.id)?.resolve(undefined);
      case 'error':
        if (frame.id !== null) this.#answer(frame.id)?.reject(MizanError.fromBody({ error: frame.error }, 0));
        return;
      // Refused watches and subscriptions are not shown yet; a pong only proves life, which
      // its arrival already did.
      case 'watching':
      case 'subscribed':
      case 'pong':
        return;
    }
  }

  /** The `hello`: ask again for what the tab watches and subscribes to, and after a reconnect
   * refetch what is live, less what this tab's own answers just refreshed. */
  #greet(connection: string): void {
    // The fallback worked where the WebSocket did not: keep it for this tab.
    if (this.#socket?.transport === 'sse' && choosesCarrier(this.#options)) {
      rememberStream(this.#options);
    }
    this.#client.setConnection(connection);
    // A call too large for one socket message goes over HTTP, whose limit is larger.
    this.#client.setSocketRpc((fn, args) =>
      fitsOneMessage(encodeClientFrame({ action: 'rpc', id: this.#nextId, fn, args } as ClientFrame))
        ? this.rpc(fn, args)
        : undefined,
    );
    this.#setStatus('connected');
    const keys = this.#watched.keys();
    for (const batch of keyBatches(keys)) this.#send({ action: 'watch', keys: batch });
    for (const { channel, params } of this.#subscriptions.values()) {
      this.#send({ action: 'subscribe', id: this.#nextId++, channel, params });
    }
    const reconnected = this.#everConnected;
    this.#everConnected = true;
    this.#startHeartbeat();
    this.#stable = setTimeout(() => {
      this.#attempt = 0;
    }, PACING_MS.stableAfter);
    // Pushes made while the socket was down are lost: refetch what is live, once. A sign-in or
    // sign-out reconnects around its answer, whose keys are refetched anyway.
    if (reconnected) this.#refreshForeign(keys);
  }

  /**
   * Refreshes `keys` less those this tab's own answers applied in the last second. While one of
   * its calls is under way they wait for it (its answer may come after this), at most
   * `OWN_KEY_WINDOW_MS`.
   */
  #refreshForeign(keys: readonly string[]): void {
    if (!this.#client.callsInFlight) {
      this.#push(this.#own.foreign(keys, Date.now()));
      return;
    }
    const first = this.#held.size === 0;
    for (const key of keys) this.#held.add(key);
    if (first) this.#release = setTimeout(() => this.#releaseHeld(), OWN_KEY_WINDOW_MS);
  }

  #releaseHeld(): void {
    clearTimeout(this.#release);
    if (this.#held.size === 0) return;
    const keys = [...this.#held];
    this.#held.clear();
    this.#push(this.#own.foreign(keys, Date.now()));
  }

  /** Keys the server pushed (or a reconnect must refresh): to the bus, not as this tab's own. */
  #push(keys: readonly string[]): void {
    this.#pushing = true;
    try {
      this.#client.invalidate(keys);
    } finally {
      this.#pushing = false;
    }
  }

  /** The request waiting for frame `id`'s answer, no longer waiting. */
  #answer(id: number): Pending | undefined {
    const waiting = this.#pending.get(id);
    this.#pending.delete(id);
    return waiting;
  }

  /**
   * Lets the connection go: closed with `reason` (by this end: stopping or reopening, which also
   * drop the pending retry and held keys), or already closed (`undefined`). The carrier is
   * cleared first, so its close is no longer this socket's business; the client stops naming
   * it, and requests waiting on it fail with `NETWORK_ERROR` saying `why`.
   */
  #drop(reason: string | undefined, why: string): void {
    this.#teardown();
    const socket = this.#socket;
    this.#socket = undefined;
    if (reason !== undefined) {
      clearTimeout(this.#retry);
      clearTimeout(this.#release);
      this.#held.clear();
      socket?.close(1000, reason);
    }
    this.#client.setConnection(undefined);
    this.#client.setSocketRpc(undefined);
    for (const { reject } of this.#pending.values()) reject(new MizanError('NETWORK_ERROR', why));
    this.#pending.clear();
  }

  /** Sends a frame if connected; `false` when not (it is re-sent on connect where that applies). */
  #send(frame: ClientFrame): boolean {
    return this.#trySend(frame) === 'sent';
  }

  /**
   * Sends a frame: `'closed'` when no socket is connected, `'too-large'` when it is larger than
   * one socket message (never sent: the server would close the socket on it).
   */
  #trySend(frame: ClientFrame): 'sent' | 'closed' | 'too-large' {
    const socket = this.#socket;
    if (!(socket && this.#status === 'connected' && socket.ready)) return 'closed';
    const text = encodeClientFrame(frame);
    if (!fitsOneMessage(text)) return 'too-large';
    socket.send(text);
    return 'sent';
  }

  #startHeartbeat(): void {
    this.#lastHeard = Date.now();
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastHeard > PACING_MS.silentFor) {
        // Silence: the server or the path to it is gone. Closing fires `onclose`: reconnect.
        this.#socket?.close(CLOSE_CODES.unanswered, 'no answer');
        return;
      }
      this.#send({ action: 'ping' });
    }, PACING_MS.pingEvery);
  }

  #teardown(): void {
    clearInterval(this.#heartbeat);
    clearTimeout(this.#stable);
    clearTimeout(this.#hello);
  }

  /** The next attempt after the backoff's delay, or after `delay` (a session that ended: at
   * once, the attempts counted from nothing, as the Rust client does). */
  #scheduleReconnect(delay?: number): void {
    let wait = delay;
    if (wait === undefined) {
      wait = reconnectDelay(this.#attempt, Math.random(), this.#options.initialDelay, this.#options.maxDelay);
      this.#attempt += 1;
    }
    this.#retry = setTimeout(() => this.#connect(), wait);
  }

  #setStatus(status: SocketStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    tellEach(this.#statusListeners, (listener) => listener(status), 'a status listener');
  }
}
