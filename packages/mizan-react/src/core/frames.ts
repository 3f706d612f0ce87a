/**
 * The socket's frames, as the Rust side defines them (`mizan::frames`): what a client sends and
 * what the server answers or pushes, one JSON object per text message, versioned; with the pacing
 * and close codes both ends keep to. `fixtures/protocol.json` (`frames`, `socket`) holds both
 * runtimes to the same cases.
 */

import type { KeyParams } from './keys.js';

/** The envelopes' version, `"v"` in every frame. */
export const SOCKET_VERSION = 1;

/**
 * The largest message a client may send, in UTF-8 bytes: the server closes a socket sent a
 * larger one, so a client never sends one (a call goes over HTTP instead).
 */
export const MAX_SOCKET_MESSAGE_BYTES = 64 * 1024;

/** How both ends pace a connection, in milliseconds. */
export const PACING_MS = {
  /** The client's `ping` frame (and the server's WebSocket ping), this often. */
  pingEvery: 25_000,
  /** Silence this long means the other end is gone. */
  silentFor: 60_000,
  /** A connection without its `hello` this long has failed. */
  helloWithin: 10_000,
  /** The first reconnect delay's ceiling; it doubles per failed attempt... */
  backoffFirst: 250,
  /** ... up to this. */
  backoffMax: 10_000,
  /** A connection that lasted this long was stable: the next failure starts the backoff over. */
  stableAfter: 10_000,
} as const;

/** The close codes of a connection. */
export const CLOSE_CODES = {
  /** The session changed (sign-in, sign-out): reconnect at once, as who the visitor now is. */
  sessionEnded: 4001,
  /** The server is shutting down: reconnect with the backoff. */
  goingAway: 1001,
  /** The client gave up on a connection that said nothing. */
  unanswered: 4000,
} as const;

/** What a client sends (without `v`, which {@link encodeClientFrame} adds). */
export type ClientFrame =
  | { action: 'rpc'; id: number; fn: string; args: object }
  | { action: 'watch'; keys: string[] }
  | { action: 'unwatch'; keys: string[] }
  | { action: 'ping'; id?: number }
  | { action: 'subscribe'; id: number; channel: string; params: KeyParams }
  | { action: 'send'; id: number; channel: string; params: KeyParams; message: unknown }
  | { action: 'unsubscribe'; channel: string; params: KeyParams };

/** An error as frames carry it (the HTTP error body's `error`). */
export interface FrameError {
  code: string;
  message: string;
  details: unknown;
}

/** What the server sends. */
export type ServerFrame =
  | { type: 'hello'; connection: string }
  | { type: 'result'; id: number; result: unknown; invalidate: string[] }
  | { type: 'error'; id: number | null; error: FrameError }
  | { type: 'watching'; keys: string[]; refused: { key: string; error: FrameError }[] }
  | { type: 'invalidate'; keys: string[] }
  | { type: 'pong'; id?: number }
  | { type: 'subscribed'; id: number }
  | { type: 'sent'; id: number }
  | { type: 'message'; channel: string; params: KeyParams; message: unknown };

/** A client frame as the text message sent. */
export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify({ v: SOCKET_VERSION, ...frame });
}

/**
 * `keys` cut into lists that each make a `watch` or `unwatch` frame within one socket message,
 * in order: a page may watch more keys than one message carries, and a larger message would
 * close the socket.
 */
export function keyBatches(keys: readonly string[]): string[][] {
  // Room for the frame around the keys: `{"v":1,"action":"unwatch","keys":[...]}`.
  const budget = MAX_SOCKET_MESSAGE_BYTES - 64;
  const batches: string[][] = [];
  let used = 0;
  for (const key of keys) {
    // The key as a JSON string and its comma, in UTF-8 bytes.
    const size = new TextEncoder().encode(JSON.stringify(key)).length + 1;
    const last = batches.at(-1);
    if (last && used + size <= budget) {
      last.push(key);
    } else {
      batches.push([key]);
      used = 0;
    }
    used += size;
  }
  return batches;
}

/** Whether `text` fits in one socket message ({@link MAX_SOCKET_MESSAGE_BYTES}, in UTF-8). */
export function fitsOneMessage(text: string): boolean {
  // Most texts are decided by their length alone: a UTF-16 unit is one to three UTF-8 bytes.
  if (text.length * 3 <= MAX_SOCKET_MESSAGE_BYTES) return true;
  if (text.length > MAX_SOCKET_MESSAGE_BYTES) return false;
  return new TextEncoder().encode(text).length <= MAX_SOCKET_MESSAGE_BYTES;
}

type Members = Record<string, unknown>;

const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isKeys = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((key) => typeof key === 'string');
const isObject = (value: unknown): value is Members =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isError = (value: unknown): value is FrameError =>
  isObject(value) && typeof value.code === 'string' && typeof value.message === 'string';

/** Each server frame kind's members, checked; the frame, or `undefined` when they do not fit. */
const readers: { [K in ServerFrame['type']]: (m: Members) => Extract<ServerFrame, { type: K }> | undefined } = {
  hello: (m) => (typeof m.connection === 'string' ? { type: 'hello', connection: m.connection } : undefined),
  result: (m) =>
    isId(m.id) && 'result' in m && (m.invalidate === undefined || isKeys(m.invalidate))
      ? { type: 'result', id: m.id, result: m.result, invalidate: m.invalidate ?? [] }
      : undefined,
  error: (m) =>
    (m.id === null || m.id === undefined || isId(m.id)) && isError(m.error)
      ? { type: 'error', id: m.id ?? null, error: { ...m.error, details: m.error.details ?? null } }
      : undefined,
  watching: (m) => {
    const refused = m.refused ?? [];
    const fits =
      isKeys(m.keys) &&
      Array.isArray(refused) &&
      refused.every((r: unknown) => isObject(r) && typeof r.key === 'string' && isError(r.error));
    return fits
      ? { type: 'watching', keys: m.keys as string[], refused: refused as { key: string; error: FrameError }[] }
      : undefined;
  },
  invalidate: (m) => (isKeys(m.keys) ? { type: 'invalidate', keys: m.keys } : undefined),
  pong: (m) => {
    if (m.id === undefined) return { type: 'pong' };
    return isId(m.id) ? { type: 'pong', id: m.id } : undefined;
  },
  subscribed: (m) => (isId(m.id) ? { type: 'subscribed', id: m.id } : undefined),
  sent: (m) => (isId(m.id) ? { type: 'sent', id: m.id } : undefined),
  message: (m) =>
    typeof m.channel === 'string' && isObject(m.params) && 'message' in m
      ? { type: 'message', channel: m.channel, params: m.params as KeyParams, message: m.message }
      : undefined,
};

/**
 * Reads one server message: the frame, or `undefined` for text that is not a frame of this
 * version (the socket skips it and goes on).
 */
export function readServerFrame(text: string): ServerFrame | undefined {
  let members: unknown;
  try {
    members = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(members)) return undefined;
  if (members.v !== undefined && members.v !== SOCKET_VERSION) return undefined;
  const type = members.type;
  if (typeof type !== 'string' || !Object.hasOwn(readers, type)) return undefined;
  return readers[type as ServerFrame['type']](members);
}
