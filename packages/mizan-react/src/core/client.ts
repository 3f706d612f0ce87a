/**
 * The client: calls over `POST /api/mizan/call/`, reads of the same tick batched into one
 * `POST /api/mizan/batch/`, each response's invalidations handed to the bus, and each response
 * that says the session changed hands to the identity listeners (the tab's socket).
 */

import { InvalidationBus, listen, tellEach } from './bus.js';
import { MizanError } from './errors.js';
import { canonicalKey } from './keys.js';
import type { MizanHydration } from './hydration.js';

/** The call endpoint. */
export const CALL_PATH = '/api/mizan/call/';
/** The batch endpoint. */
export const BATCH_PATH = '/api/mizan/batch/';
/** Most calls one batch may carry (the server refuses more). */
export const MAX_BATCH_CALLS = 64;
/**
 * The response header saying the session changed hands during the request (signed in, signed
 * out, or a session that ended); its value is {@link IDENTITY_CHANGED}.
 */
export const IDENTITY_HEADER = 'x-mizan-identity';
/** The one value of {@link IDENTITY_HEADER}. */
export const IDENTITY_CHANGED = 'changed';

/** How a client reaches its server. */
export interface MizanClientOptions {
  /**
   * The server's origin, for a client not served by it (`http://127.0.0.1:3000` from a Node
   * server); default: this page's. A browser page of another origin also needs `credentials:
   * 'include'`, and the server must list that origin in its trusted origins.
   */
  readonly baseUrl?: string;
  /** Whether the browser sends cookies (default `'same-origin'`). */
  readonly credentials?: RequestCredentials;
  /** Headers sent with every call (a Node server passes the visitor's `Cookie` here). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The `fetch` to use (tests, Node servers); default: the global one. */
  readonly fetch?: typeof fetch;
}

/** A successful call's envelope. */
export interface Envelope {
  result: unknown;
  invalidate: string[];
}

/**
 * Calls a function over the tab's open socket (see `MizanSocket`); `undefined` when the call is
 * larger than one socket message, and goes over HTTP.
 */
export type SocketRpc = (fn: string, args: object) => Promise<Envelope> | undefined;

/** How one call travels. */
export interface CallOptions {
  /** Over the tab's socket when it is open (`#[client(websocket)]` functions), else HTTP. */
  readonly websocket?: boolean;
  /**
   * Told the keys of a successful answer before they go to the bus (and so before any refetch
   * they cause starts): what an optimistic call needs to know which patches wait for which
   * refetch.
   */
  readonly onAnswer?: (keys: readonly string[]) => void;
}

interface PendingRead {
  fn: string;
  args: object;
  resolve: (value: unknown) => void;
  reject: (error: MizanError) => void;
}

function isEnvelope(body: unknown): body is Envelope {
  return (
    body !== null &&
    typeof body === 'object' &&
    'result' in body &&
    Array.isArray((body as { invalidate?: unknown }).invalidate)
  );
}

/** Talks to one mizan server. */
export class MizanClient {
  /** Every response's invalidations. */
  readonly invalidations = new InvalidationBus();
  readonly #options: MizanClientOptions;
  #connection: string | undefined;
  #socketRpc: SocketRpc | undefined;
  #pending: PendingRead[] = [];
  #flushScheduled = false;
  #callsInFlight = 0;
  readonly #settledListeners = new Set<() => void>();
  readonly #identityListeners = new Set<() => void>();

  constructor(options: MizanClientOptions = {}) {
    this.#options = options;
  }

  /**
   * Runs `fn` with `args`; resolves to its result, rejects with a `MizanError`. With
   * `websocket`, over the tab's socket while it is open (a socket closing during the call fails
   * it with `NETWORK_ERROR`: try again).
   */
  async call<R>(fn: string, args: object = {}, options: CallOptions = {}): Promise<R> {
    this.#callsInFlight += 1;
    try {
      return await this.#call<R>(fn, args, options);
    } finally {
      this.#callsInFlight -= 1;
      if (this.#callsInFlight === 0) {
        tellEach(this.#settledListeners, (listener) => listener(), 'a settled listener');
      }
    }
  }

  /** Whether one of this client's calls is under way (its answer's keys not yet applied). */
  get callsInFlight(): boolean {
    return this.#callsInFlight > 0;
  }

  /**
   * Calls `listener` each time the last call under way settles (answered, its keys applied, or
   * failed); returns what unsubscribes it.
   */
  onSettled(listener: () => void): () => void {
    return listen(this.#settledListeners, listener);
  }

  /**
   * Calls `listener` each time a response says the session changed hands (its
   * {@link IDENTITY_HEADER}), once the response is in and so its cookie stored; returns what
   * unsubscribes it. The tab's socket reopens on it, as who the visitor now is.
   */
  onIdentityChanged(listener: () => void): () => void {
    return listen(this.#identityListeners, listener);
  }

  async #call<R>(fn: string, args: object, options: CallOptions): Promise<R> {
    const overSocket = options.websocket ? this.#socketRpc?.(fn, args) : undefined;
    if (overSocket) {
      const envelope = await overSocket;
      this.#answered(options, envelope.invalidate);
      return envelope.result as R;
    }
    const body = await this.#post(CALL_PATH, { fn, args });
    if (!isEnvelope(body)) {
      throw new MizanError('INVALID_RESPONSE', `\`${fn}\` answered without a result`);
    }
    this.#answered(options, body.invalidate);
    return body.result as R;
  }

  /** Hands an answer's keys to its `onAnswer`, then to the bus. */
  #answered(options: CallOptions, keys: string[]): void {
    try {
      options.onAnswer?.(keys);
    } catch (error) {
      // The server has committed: the keys must still refresh what they cover.
      console.error('mizan: an onAnswer callback threw', error);
    }
    this.invalidations.emit(keys);
  }

  /**
   * Reads a query or context: the reads asked for in the same tick go together in one batch
   * request (one alone goes as a plain call).
   */
  read<R>(fn: string, args: object = {}): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ fn, args, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setTimeout(() => this.#flush(), 0);
      }
    });
  }

  /** Hands keys the server pushed to the bus, as if a response had carried them. */
  invalidate(keys: readonly string[]): void {
    this.invalidations.emit(keys);
  }

  /**
   * The id of this tab's open socket (its `hello`), sent with every call so the server does not
   * push this tab's own keys back to it; `undefined` while no socket is open.
   */
  setConnection(id: string | undefined): void {
    this.#connection = id;
  }

  /** The open socket's way to call functions (`undefined` while none is open). */
  setSocketRpc(rpc: SocketRpc | undefined): void {
    this.#socketRpc = rpc;
  }

  #flush(): void {
    const reads = this.#pending;
    this.#pending = [];
    this.#flushScheduled = false;
    for (let start = 0; start < reads.length; start += MAX_BATCH_CALLS) {
      void this.#send(reads.slice(start, start + MAX_BATCH_CALLS));
    }
  }

  async #send(reads: PendingRead[]): Promise<void> {
    const [only] = reads;
    if (reads.length === 1 && only) {
      await this.call(only.fn, only.args).then(only.resolve, only.reject);
      return;
    }
    let body: unknown;
    try {
      body = await this.#post(BATCH_PATH, { calls: reads.map(({ fn, args }) => ({ fn, args })) });
    } catch (error) {
      for (const read of reads) read.reject(error as MizanError);
      return;
    }
    const results = (body as { results?: unknown } | null)?.results;
    if (!Array.isArray(results) || results.length !== reads.length) {
      const error = new MizanError('INVALID_RESPONSE', 'the batch answer does not match its calls');
      for (const read of reads) read.reject(error);
      return;
    }
    const keys: string[] = [];
    reads.forEach((read, i) => {
      const answer: unknown = results[i];
      if (isEnvelope(answer)) {
        keys.push(...answer.invalidate);
        read.resolve(answer.result);
      } else {
        read.reject(MizanError.fromBody(answer, 200));
      }
    });
    this.invalidations.emit(keys);
  }

  /** Posts JSON; the parsed body of a 2xx, else the `MizanError` the answer describes. */
  async #post(path: string, payload: object): Promise<unknown> {
    const send = this.#options.fetch ?? globalThis.fetch;
    let response: Response;
    try {
      response = await send(`${this.#options.baseUrl ?? ''}${path}`, {
        method: 'POST',
        credentials: this.#options.credentials ?? 'same-origin',
        headers: {
          'content-type': 'application/json',
          ...(this.#connection ? { 'x-mizan-connection': this.#connection } : {}),
          ...this.#options.headers,
        },
        body: JSON.stringify(payload),
      });
    } catch (cause) {
      throw new MizanError('NETWORK_ERROR', `the server could not be reached: ${String(cause)}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new MizanError(
        'INVALID_RESPONSE',
        `the server answered ${response.status} with something other than JSON`,
      );
    } finally {
      // The header follows the cookie, not the outcome: a refused answer may carry it too.
      if (response.headers?.get(IDENTITY_HEADER)?.trim() === IDENTITY_CHANGED) {
        tellEach(this.#identityListeners, (listener) => listener(), 'an identity listener');
      }
    }
    if (!response.ok) throw MizanError.fromBody(body, response.status);
    return body;
  }
}

/** A client for `options`. */
export function createMizanClient(options: MizanClientOptions = {}): MizanClient {
  return new MizanClient(options);
}

/**
 * Reads the contexts `names` (global ones: no params) in one batch, as the user `options`
 * carries, into a hydration payload: what a Node server rendering the React app embeds.
 * A context that fails (the visitor may not read it) is left out: the page fetches it.
 */
export async function prefetchContexts(
  names: readonly string[],
  options: MizanClientOptions,
): Promise<MizanHydration> {
  const client = createMizanClient(options);
  const answers = await Promise.allSettled(names.map((name) => client.read(name)));
  const contexts: Record<string, unknown> = {};
  answers.forEach((answer, i) => {
    const name = names[i];
    if (answer.status === 'fulfilled' && name !== undefined) {
      contexts[canonicalKey(name)] = answer.value;
    }
  });
  return { version: 1, contexts };
}
