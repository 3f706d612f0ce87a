// The socket against a fake WebSocket: hello, watches, pushed keys on the bus, reconnection with
// backoff, re-watching and one refetch of everything live after a reconnect; and the provider
// watching the contexts its components read.
import { isDeepStrictEqual } from 'node:util';

import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

import { MAX_SOCKET_MESSAGE_BYTES, MizanSocket, createMizanClient } from '../src/core/index.js';
import { fixture } from './fixture.js';
import {
  MizanError,
  MizanProvider,
  defineContext,
  defineQuery,
  useMizanQuery,
  useMizanSocketStatus,
} from '../src/react/index.js';
import { defineChannel, openSocket, useMizanChannel } from '../src/react/realtime.js';

/** A WebSocket the test drives: `open()`, `message(frame)`, `drop(code)`; records what is sent. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(text: string) {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  close(code = 1000) {
    this.drop(code);
  }
  open(connection = 'c1') {
    this.readyState = 1;
    this.message({ v: 1, type: 'hello', connection });
  }
  message(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code = 1006) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code });
  }
  static latest(): FakeSocket {
    const socket = FakeSocket.all.at(-1);
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }
}

const options = {
  url: 'ws://app.test/api/mizan/ws/',
  WebSocket: FakeSocket as unknown as typeof WebSocket,
  transport: 'websocket' as const,
};

/** An EventSource the test drives: `message(frame)`, `end(code)`, `fail()`. */
class FakeEventSource {
  static all: FakeEventSource[] = [];
  closed = false;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: (() => void) | null = null;
  readonly #listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, listener: (event: MessageEvent) => void) {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
  }
  message(frame: object) {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(frame) }));
  }
  /** The stream's secret, its first event, then its `hello`. */
  greet(secret: string, connection = 'conn') {
    for (const listener of this.#listeners.get('inlet') ?? []) {
      listener(new MessageEvent('inlet', { data: secret }));
    }
    this.message({ v: 1, type: 'hello', connection });
  }
  end(code: number) {
    for (const listener of this.#listeners.get('close') ?? []) {
      listener(new MessageEvent('close', { data: String(code) }));
    }
  }
  fail() {
    this.onerror?.();
  }
  static latest(): FakeEventSource {
    const source = FakeEventSource.all.at(-1);
    if (!source) throw new Error('no event stream was opened');
    return source;
  }
}

/** A `sessionStorage` of the test's own. */
function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

/** What the fallback posted: each frame with the stream it named. */
function posted(fetch: ReturnType<typeof vi.fn>): { stream: string; frame: Record<string, unknown> }[] {
  return fetch.mock.calls.map((call) => {
    const [, init] = call as unknown as [string, RequestInit];
    const headers = init.headers as Record<string, string>;
    return {
      stream: headers['x-mizan-stream'] ?? '',
      frame: JSON.parse(String(init.body)) as Record<string, unknown>,
    };
  });
}

/** Lets queued promise callbacks run (the fallback posts one frame after another). */
async function settle() {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

beforeEach(() => {
  FakeSocket.all = [];
  FakeEventSource.all = [];
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('MizanSocket', () => {
  test('watches once per key, names itself to the client, and hands pushed keys to the bus', async () => {
    const fetch = vi.fn(async () => Response.json({ result: 1, invalidate: [] }));
    const client = createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const pushed: (readonly string[])[] = [];
    client.invalidations.subscribe((keys) => pushed.push(keys));
    const socket = new MizanSocket(client, options);
    const statuses: string[] = [];
    socket.onStatus((status) => statuses.push(status));
    const release = socket.watch('current_user');
    socket.watch('current_user');
    socket.start();
    const fake = FakeSocket.latest();
    fake.open('conn-1');
    expect(statuses).toEqual(['connecting', 'connected']);
    expect(fake.sent).toEqual([{ v: 1, action: 'watch', keys: ['current_user'] }]);

    await client.call('echo', { text: 'x' });
    const headers = (fetch.mock.calls[0] as unknown as [string, RequestInit])[1].headers as Record<string, string>;
    expect(headers['x-mizan-connection']).toBe('conn-1');

    fake.message({ v: 1, type: 'invalidate', keys: ['current_user'] });
    expect(pushed).toEqual([['current_user']]);

    release();
    expect(fake.sent).toHaveLength(1);
    socket.watch('user_profile:{"user_id":1}')();
    expect(fake.sent.slice(1)).toEqual([
      { v: 1, action: 'watch', keys: ['user_profile:{"user_id":1}'] },
      { v: 1, action: 'unwatch', keys: ['user_profile:{"user_id":1}'] },
    ]);
    socket.stop();
  });

  test('reconnects with growing delays, re-watches, and refetches what is live once', () => {
    vi.useFakeTimers();
    const client = createMizanClient();
    const pushed: (readonly string[])[] = [];
    client.invalidations.subscribe((keys) => pushed.push(keys));
    const socket = new MizanSocket(client, { ...options, initialDelay: 100, maxDelay: 400 });
    socket.watch('current_user');
    socket.start();
    FakeSocket.latest().open();
    expect(pushed, 'the first connection refetches nothing').toEqual([]);

    FakeSocket.latest().drop();
    expect(socket.status).toBe('disconnected');
    vi.advanceTimersByTime(49);
    expect(FakeSocket.all, 'not before half the first delay').toHaveLength(1);
    vi.advanceTimersByTime(51);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.latest().drop();
    vi.advanceTimersByTime(199);
    FakeSocket.latest().drop();
    const before = FakeSocket.all.length;
    vi.advanceTimersByTime(400);
    expect(FakeSocket.all.length, 'capped at the longest delay').toBe(before + 1);

    const fresh = FakeSocket.latest();
    fresh.open('c2');
    expect(fresh.sent).toEqual([{ v: 1, action: 'watch', keys: ['current_user'] }]);
    expect(pushed, 'everything live refetched once').toEqual([['current_user']]);
    socket.stop();
  });

  test('a session that ended reconnects at once; stop() stays stopped', () => {
    vi.useFakeTimers();
    const socket = new MizanSocket(createMizanClient(), options);
    socket.start();
    FakeSocket.latest().open();
    FakeSocket.latest().drop(4001);
    vi.advanceTimersByTime(0);
    expect(FakeSocket.all).toHaveLength(2);
    socket.stop();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(2);
    expect(socket.status).toBe('disconnected');
  });

  test("a sign-out's reconnect refetches only what its own answer did not, once", async () => {
    vi.useFakeTimers();
    const fetch = vi.fn(async () =>
      Response.json({ result: null, invalidate: ['current_user', 'user_profile'] }),
    );
    const client = createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const refetched: (readonly string[])[] = [];
    client.invalidations.subscribe((keys) => refetched.push(keys));
    const socket = new MizanSocket(client, options);
    for (const key of ['current_user', 'user_profile:{"user_id":1}', 'site_stats']) {
      socket.watch(key);
    }
    socket.start();
    FakeSocket.latest().open();
    await client.call('sign_out');
    FakeSocket.latest().drop(4001);
    vi.advanceTimersByTime(0);
    FakeSocket.latest().open('c2');
    expect(refetched, 'the answer, then only the rest').toEqual([
      ['current_user', 'user_profile'],
      ['site_stats'],
    ]);

    // Another tab's sign-out: nothing of this tab's own, so everything live is refetched.
    vi.advanceTimersByTime(2_000);
    FakeSocket.latest().drop(4001);
    vi.advanceTimersByTime(0);
    FakeSocket.latest().open('c3');
    expect(refetched.at(-1)).toEqual(['current_user', 'user_profile:{"user_id":1}', 'site_stats']);
    socket.stop();
  });

  test('every frame it sends is one of the fixture\'s, as the server reads them', async () => {
    vi.useFakeTimers();
    const socket = new MizanSocket(createMizanClient(), options);
    const unwatch = socket.watch('current_user');
    socket.watch('user_profile:{"user_id":5}');
    socket.start();
    const fake = FakeSocket.latest();
    fake.open();
    unwatch();
    const leave = socket.subscribe('chat', { room: 'general' }, () => undefined);
    void socket.sendMessage('chat', { room: 'general' }, { text: 'zoë </script>' }).catch(() => undefined);
    void socket.rpc('echo', { text: 'hi' }).catch(() => undefined);
    void socket.rpc('site_stats', {}).catch(() => undefined);
    leave();
    vi.advanceTimersByTime(25_000);
    const canonical = fixture.frames.client.map(({ canonical }) => canonical);
    // A request's id is the socket's own count; everything else is as the fixture writes it.
    const known = (frame: Record<string, unknown>) =>
      canonical.some((c) => isDeepStrictEqual('id' in c ? { ...frame, id: c.id } : frame, c));
    for (const frame of fake.sent) expect(known(frame), JSON.stringify(frame)).toBe(true);
    const actions = new Set(fake.sent.map((frame) => frame.action));
    expect([...actions].sort()).toEqual(['ping', 'rpc', 'send', 'subscribe', 'unsubscribe', 'unwatch', 'watch']);
    socket.stop();
  });

  test("a reconnect that overtakes a sign-out's answer waits for it, then refetches the rest once", async () => {
    vi.useFakeTimers();
    let answer: (response: Response) => void = () => undefined;
    const fetch = vi.fn(() => new Promise<Response>((resolve) => (answer = resolve)));
    const client = createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const refetched: (readonly string[])[] = [];
    client.invalidations.subscribe((keys) => refetched.push(keys));
    const socket = new MizanSocket(client, options);
    for (const key of ['current_user', 'site_stats']) socket.watch(key);
    socket.start();
    FakeSocket.latest().open();
    const signOut = client.call('sign_out');
    // The session's end closes the socket before the answer arrives; the new one says hello.
    FakeSocket.latest().drop(4001);
    vi.advanceTimersByTime(0);
    FakeSocket.latest().open('c2');
    expect(refetched, 'nothing yet: the answer is under way').toEqual([]);
    answer(Response.json({ result: null, invalidate: ['current_user'] }));
    await signOut;
    expect(refetched).toEqual([['current_user'], ['site_stats']]);
    socket.stop();
  });

  test('keys held for a call that takes long are refetched after a second all the same', () => {
    vi.useFakeTimers();
    const fetch = vi.fn(() => new Promise<Response>(() => undefined));
    const client = createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const refetched: (readonly string[])[] = [];
    client.invalidations.subscribe((keys) => refetched.push(keys));
    const socket = new MizanSocket(client, options);
    socket.watch('current_user');
    socket.start();
    FakeSocket.latest().open();
    void client.call('slow');
    FakeSocket.latest().drop(4001);
    vi.advanceTimersByTime(0);
    FakeSocket.latest().open('c2');
    vi.advanceTimersByTime(999);
    expect(refetched).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(refetched).toEqual([['current_user']]);
    socket.stop();
  });

  test('a silent server is given up on and reconnected to', () => {
    vi.useFakeTimers();
    const socket = new MizanSocket(createMizanClient(), options);
    socket.start();
    const first = FakeSocket.latest();
    first.open();
    vi.advanceTimersByTime(25_000);
    expect(first.sent.at(-1)).toEqual({ v: 1, action: 'ping' });
    vi.advanceTimersByTime(50_000);
    expect(first.readyState).toBe(3);
    vi.advanceTimersByTime(300);
    expect(FakeSocket.all.length).toBeGreaterThan(1);
    socket.stop();
  });
});

/** A BroadcastChannel whose messages reach the test's other open channels of the same name. */
class FakeChannel {
  static all: FakeChannel[] = [];
  posted: unknown[] = [];
  closed = false;
  onmessage: ((event: MessageEvent) => void) | null = null;
  constructor(readonly name: string) {
    FakeChannel.all.push(this);
  }
  postMessage(data: unknown) {
    this.posted.push(data);
    for (const other of FakeChannel.all) {
      if (other !== this && !other.closed && other.name === this.name) {
        other.onmessage?.(new MessageEvent('message', { data }));
      }
    }
  }
  close() {
    this.closed = true;
  }
}

describe('identity changes', () => {
  const withSiblings = {
    ...options,
    BroadcastChannel: FakeChannel as unknown as typeof BroadcastChannel,
  };
  beforeEach(() => {
    FakeChannel.all = [];
  });

  /** A client whose every call answers `invalidate` keys and says the session changed hands. */
  function signingIn(invalidate: string[]) {
    const fetch = vi.fn(async () =>
      Response.json({ result: null, invalidate }, { headers: { 'x-mizan-identity': 'changed' } }),
    );
    return createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch });
  }

  test('a sign-in reopens the socket at once as the new session: re-watched, re-subscribed, the rest refetched once; siblings too', async () => {
    vi.useFakeTimers();
    const client = signingIn(['current_user']);
    const refetched: (readonly string[])[] = [];
    client.invalidations.subscribe((keys) => refetched.push(keys));
    const tab = new MizanSocket(client, withSiblings);
    for (const key of ['current_user', 'user_profile:{"user_id":1}']) tab.watch(key);
    tab.subscribe('chat', { room: 'general' }, () => undefined);
    tab.start();
    const first = FakeSocket.latest();
    first.open('c1');

    const siblingClient = createMizanClient();
    const siblingRefetched: (readonly string[])[] = [];
    siblingClient.invalidations.subscribe((keys) => siblingRefetched.push(keys));
    const sibling = new MizanSocket(siblingClient, withSiblings);
    sibling.watch('site_stats');
    sibling.start();
    const siblingFirst = FakeSocket.latest();
    siblingFirst.open('s1');

    const statuses: string[] = [];
    tab.onStatus((status) => statuses.push(status));
    const onTheOldSocket = tab.rpc('echo', { text: 'x' });
    await client.call('login', { email: 'alice@example.com', password: 'alice-password' });

    expect(first.readyState, 'the connection of who the tab was is closed').toBe(3);
    expect(siblingFirst.readyState, 'and the sibling’s').toBe(3);
    expect(FakeSocket.all, 'both reopened at once, no backoff').toHaveLength(4);
    await expect(onTheOldSocket).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(statuses).toEqual(['connecting']);

    const [, , reopened, siblingReopened] = FakeSocket.all;
    reopened?.open('c2');
    expect(statuses).toEqual(['connecting', 'connected']);
    expect(reopened?.sent).toEqual([
      { v: 1, action: 'watch', keys: ['current_user', 'user_profile:{"user_id":1}'] },
      { v: 1, action: 'subscribe', id: expect.any(Number), channel: 'chat', params: { room: 'general' } },
    ]);
    expect(refetched, 'the answer’s keys, then the rest once').toEqual([
      ['current_user'],
      ['user_profile:{"user_id":1}'],
    ]);

    siblingReopened?.open('s2');
    expect(siblingRefetched, 'the sibling refetches everything it shows').toEqual([['site_stats']]);
    const [tabChannel, siblingChannel] = FakeChannel.all;
    expect(tabChannel?.name).toBe('mizan-identity');
    expect(tabChannel?.posted).toEqual(['changed']);
    expect(siblingChannel?.posted, 'a sibling does not pass it on').toEqual([]);

    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all, 'nothing else opened').toHaveLength(4);
    tab.stop();
    sibling.stop();
    expect(FakeChannel.all.every((channel) => channel.closed)).toBe(true);
  });

  test('a sibling’s word ends the wait for a reconnect; other messages and a stopped socket are left alone', () => {
    vi.useFakeTimers();
    const socket = new MizanSocket(createMizanClient(), withSiblings);
    socket.start();
    FakeSocket.latest().open();
    FakeSocket.latest().drop(1006);
    expect(socket.status).toBe('disconnected');
    const elsewhere = new FakeChannel('mizan-identity');

    elsewhere.postMessage({ something: 'else' });
    expect(FakeSocket.all).toHaveLength(1);
    elsewhere.postMessage('changed');
    expect(FakeSocket.all, 'at once').toHaveLength(2);
    // Less than a `hello`'s patience, more than the first retry's delay.
    vi.advanceTimersByTime(5_000);
    expect(FakeSocket.all, 'the backoff’s retry was called off').toHaveLength(2);

    socket.stop();
    elsewhere.postMessage('changed');
    expect(FakeSocket.all).toHaveLength(2);
    expect(socket.status).toBe('disconnected');
  });

  test('without a BroadcastChannel the tab still reopens on its own answers', async () => {
    const client = signingIn([]);
    const socket = new MizanSocket(client, { ...options, BroadcastChannel: null });
    socket.start();
    FakeSocket.latest().open();
    await client.call('logout');
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeChannel.all).toEqual([]);
    socket.stop();
  });
});

describe('the fallback', () => {
  function fallbackOptions() {
    const fetch = vi.fn(async () => new Response(null, { status: 204 }));
    const storage = memoryStorage();
    return {
      fetch,
      storage,
      options: {
        ...options,
        transport: 'auto' as const,
        streamUrl: 'http://app.test/api/mizan/sse/',
        EventSource: FakeEventSource as unknown as typeof EventSource,
        fetch: fetch as unknown as typeof globalThis.fetch,
        storage,
      },
    };
  }

  test('a WebSocket that never opens is followed at once by the event stream, which the tab then keeps', async () => {
    const { fetch, storage, options: fallback } = fallbackOptions();
    const client = createMizanClient();
    const pushed: (readonly string[])[] = [];
    client.invalidations.subscribe((keys) => pushed.push(keys));
    const socket = new MizanSocket(client, fallback);
    const statuses: string[] = [];
    socket.onStatus((status) => statuses.push(status));
    socket.watch('current_user');
    socket.start();
    FakeSocket.latest().drop(1006);
    expect(FakeEventSource.all, 'no waiting before the fallback').toHaveLength(1);
    const stream = FakeEventSource.latest();
    expect(stream.url).toBe('http://app.test/api/mizan/sse/');
    stream.greet('secret-1', 'conn-sse');
    expect(statuses).toEqual(['connecting', 'connected']);
    expect(socket.transport).toBe('sse');
    expect(storage.items.get('mizan.transport')).toBe('sse');

    const release = socket.watch('user_profile:{"user_id":1}');
    release();
    await settle();
    expect(posted(fetch), 'frames go up in order, naming the stream').toEqual([
      { stream: 'secret-1', frame: { v: 1, action: 'watch', keys: ['current_user'] } },
      { stream: 'secret-1', frame: { v: 1, action: 'watch', keys: ['user_profile:{"user_id":1}'] } },
      { stream: 'secret-1', frame: { v: 1, action: 'unwatch', keys: ['user_profile:{"user_id":1}'] } },
    ]);
    stream.message({ v: 1, type: 'invalidate', keys: ['current_user'] });
    expect(pushed).toEqual([['current_user']]);

    const answer = socket.rpc('echo', { text: 'hi' });
    await settle();
    const rpc = posted(fetch).at(-1)?.frame;
    expect(rpc).toMatchObject({ action: 'rpc', fn: 'echo', args: { text: 'hi' } });
    stream.message({ v: 1, type: 'result', id: rpc?.['id'], result: 'hi', invalidate: [] });
    await expect(answer).resolves.toEqual({ result: 'hi', invalidate: [] });
    socket.stop();
    expect(stream.closed).toBe(true);

    // Another socket of this tab starts with the stream.
    const again = new MizanSocket(createMizanClient(), fallback);
    again.start();
    expect(FakeSocket.all, 'no second WebSocket').toHaveLength(1);
    expect(FakeEventSource.all).toHaveLength(2);
    again.stop();
  });

  test('a WebSocket that opened and dropped is not replaced by the fallback; a failed fallback backs off', () => {
    vi.useFakeTimers();
    const { storage, options: fallback } = fallbackOptions();
    const socket = new MizanSocket(createMizanClient(), { ...fallback, initialDelay: 100 });
    socket.start();
    FakeSocket.latest().open();
    FakeSocket.latest().drop(1006);
    expect(FakeEventSource.all, 'the upgrade passed: the server is what went away').toHaveLength(0);
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all).toHaveLength(2);

    FakeSocket.latest().drop(1006);
    FakeEventSource.latest().fail();
    expect(socket.status).toBe('disconnected');
    expect(storage.items.size, 'a fallback that never spoke is not remembered').toBe(0);
    vi.advanceTimersByTime(400);
    expect(FakeSocket.all, 'the next attempt is a WebSocket again').toHaveLength(3);
    socket.stop();
  });

  test('the stream ending with the session closes and reconnects at once; a refused post reconnects', async () => {
    vi.useFakeTimers();
    const { fetch, options: fallback } = fallbackOptions();
    const socket = new MizanSocket(createMizanClient(), { ...fallback, transport: 'sse' });
    socket.start();
    const first = FakeEventSource.latest();
    first.greet('s1', 'c1');
    first.end(4001);
    expect(first.closed).toBe(true);
    vi.advanceTimersByTime(0);
    expect(FakeEventSource.all).toHaveLength(2);
    expect(FakeSocket.all, 'sse only: no WebSocket').toHaveLength(0);

    const second = FakeEventSource.latest();
    second.greet('s2', 'c2');
    fetch.mockImplementationOnce(async () => Response.json({ error: { code: 'NOT_FOUND', message: 'gone' } }, { status: 404 }));
    socket.watch('current_user');
    await vi.advanceTimersByTimeAsync(0);
    expect(second.closed, 'the server forgot the stream: it is replaced').toBe(true);
    expect(socket.status).toBe('disconnected');
    socket.stop();
  });

  test('a WebSocket that opens but never says hello is given up on, and the fallback tried', () => {
    vi.useFakeTimers();
    const { options: fallback } = fallbackOptions();
    const socket = new MizanSocket(createMizanClient(), fallback);
    socket.start();
    const silent = FakeSocket.latest();
    silent.readyState = 1;
    vi.advanceTimersByTime(9_999);
    expect(FakeEventSource.all).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(silent.readyState, 'closed after 10 s without hello').toBe(3);
    expect(FakeEventSource.all, 'then the fallback, at once').toHaveLength(1);

    // Upgraded, then dropped before any frame (a proxy that lets the upgrade through and cuts it).
    socket.stop();
    const again = new MizanSocket(createMizanClient(), { ...fallback, storage: memoryStorage() });
    again.start();
    FakeSocket.latest().readyState = 1;
    FakeSocket.latest().drop(1006);
    expect(FakeEventSource.all).toHaveLength(2);
    again.stop();
  });

  test('stop() fails what is still waiting for an answer', async () => {
    const socket = new MizanSocket(createMizanClient(), options);
    socket.start();
    FakeSocket.latest().open();
    const waiting = socket.rpc('echo', { text: 'x' });
    socket.stop();
    await expect(waiting).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  });
});

describe('calls over the socket', () => {
  test('a websocket call goes over the open socket, else over HTTP; a close fails it retriably', async () => {
    const fetch = vi.fn(async () => Response.json({ result: 'by http', invalidate: [] }));
    const client = createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const pushed: (readonly string[])[] = [];
    client.invalidations.subscribe((keys) => pushed.push(keys));
    const socket = new MizanSocket(client, options);
    socket.start();

    await expect(client.call('echo', { text: 'a' }, { websocket: true })).resolves.toBe('by http');
    const fake = FakeSocket.latest();
    fake.open();
    const overSocket = client.call('echo', { text: 'b' }, { websocket: true });
    const frame = fake.sent.at(-1);
    expect(frame).toMatchObject({ v: 1, action: 'rpc', fn: 'echo', args: { text: 'b' } });
    fake.message({ v: 1, type: 'result', id: frame?.['id'], result: 'by socket', invalidate: ['current_user'] });
    await expect(overSocket).resolves.toBe('by socket');
    expect(pushed).toEqual([['current_user']]);
    await expect(client.call('echo', { text: 'c' })).resolves.toBe('by http');
    expect(fetch).toHaveBeenCalledTimes(2);

    const cut = client.call('echo', { text: 'd' }, { websocket: true });
    fake.drop();
    await expect(cut).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    socket.stop();
  });

  test('what does not fit one socket message is never sent on it: a call goes over HTTP, a message is refused', async () => {
    const fetch = vi.fn(async () => Response.json({ result: 'by http', invalidate: [] }));
    const client = createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const socket = new MizanSocket(client, options);
    socket.start();
    const fake = FakeSocket.latest();
    fake.open();
    const sentBefore = fake.sent.length;
    // Multi-byte text: fewer UTF-16 units than the limit, more UTF-8 bytes than it.
    const large = 'é'.repeat(MAX_SOCKET_MESSAGE_BYTES / 2);
    await expect(client.call('echo', { text: large }, { websocket: true })).resolves.toBe('by http');
    expect(fetch).toHaveBeenCalledTimes(1);
    await expect(socket.sendMessage('chat', { room: 'general' }, { text: large })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(fake.sent.length).toBe(sentBefore);
    expect(fake.readyState).toBe(1);
    // Just under the limit still goes over the socket.
    const fits = client.call('echo', { text: 'a'.repeat(MAX_SOCKET_MESSAGE_BYTES - 100) }, { websocket: true });
    const frame = fake.sent.at(-1);
    expect(frame).toMatchObject({ action: 'rpc', fn: 'echo' });
    fake.message({ v: 1, type: 'result', id: frame?.['id'], result: 'by socket', invalidate: [] });
    await expect(fits).resolves.toBe('by socket');
    socket.stop();
  });
});

describe('channels', () => {
  test('subscribe, hear the group by the params in any order, send, and resubscribe after a reconnect', async () => {
    vi.useFakeTimers();
    const socket = new MizanSocket(createMizanClient(), options);
    const heard: unknown[] = [];
    socket.start();
    const stop = socket.subscribe('chat', { room: 'general', lang: 'en' }, (m) => heard.push(m));
    const first = FakeSocket.latest();
    first.open();
    expect(first.sent).toEqual([
      { v: 1, action: 'subscribe', id: expect.any(Number), channel: 'chat', params: { room: 'general', lang: 'en' } },
    ]);
    first.message({ v: 1, type: 'message', channel: 'chat', params: { lang: 'en', room: 'general' },
                    message: { text: 'hi', user: 'Alice' } });
    first.message({ v: 1, type: 'message', channel: 'chat', params: { room: 'other' }, message: {} });
    // The server leaves null params out; a client's null or absent field is the same subscription.
    const quiet = socket.subscribe('chat', { room: 'q', topic: null }, (m) => heard.push(m));
    first.message({ v: 1, type: 'message', channel: 'chat', params: { room: 'q' }, message: { text: 'q', user: 'B' } });
    quiet();
    expect(heard).toEqual([{ text: 'hi', user: 'Alice' }, { text: 'q', user: 'B' }]);

    const sent = socket.sendMessage('chat', { room: 'general', lang: 'en' }, { text: 'yo' });
    const id = first.sent.at(-1)?.['id'];
    first.message({ v: 1, type: 'sent', id });
    await expect(sent).resolves.toBeUndefined();
    const refused = socket.sendMessage('chat', { room: 'general', lang: 'en' }, { text: '' });
    first.message({ v: 1, type: 'error', id: first.sent.at(-1)?.['id'],
                    error: { code: 'VALIDATION_ERROR', message: '`text` must be 1 to 500 characters', details: null } });
    await expect(refused).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });

    const lost = socket.sendMessage('chat', { room: 'general', lang: 'en' }, { text: 'x' });
    first.drop();
    await expect(lost).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    await expect(socket.sendMessage('chat', {}, {})).rejects.toBeInstanceOf(MizanError);
    vi.advanceTimersByTime(300);
    FakeSocket.latest().open('c2');
    expect(FakeSocket.latest().sent[0]).toMatchObject({ action: 'subscribe', channel: 'chat' });

    stop();
    expect(FakeSocket.latest().sent.at(-1)).toEqual({
      v: 1, action: 'unsubscribe', channel: 'chat', params: { room: 'general', lang: 'en' },
    });
    socket.stop();
  });

  test('useMizanChannel collects what the group hears and sends typed messages', async () => {
    const chat = defineChannel<{ room: string }, { text: string }, { text: string; user: string }>('chat');
    let send: ((message: { text: string }) => Promise<void>) | undefined;
    function Room() {
      const room = useMizanChannel(chat, { room: 'general' });
      send = room.send;
      return (
        <ul data-testid="room" data-status={room.status}>
          {room.messages.map((line, i) => (
            <li key={i}>{`${line.user}: ${line.text}`}</li>
          ))}
        </ul>
      );
    }
    render(
      <MizanProvider client={createMizanClient()} socket={openSocket} realtime={options}>
        <Room />
      </MizanProvider>,
    );
    act(() => FakeSocket.latest().open());
    expect(FakeSocket.latest().sent).toEqual([
      { v: 1, action: 'subscribe', id: expect.any(Number), channel: 'chat', params: { room: 'general' } },
    ]);
    act(() => FakeSocket.latest().message({ v: 1, type: 'message', channel: 'chat',
      params: { room: 'general' }, message: { text: 'hello', user: 'Alice' } }));
    expect(screen.getByTestId('room').textContent).toBe('Alice: hello');
    expect(screen.getByTestId('room').dataset['status']).toBe('connected');
    const sent = send?.({ text: 'hi' });
    act(() => FakeSocket.latest().message({ v: 1, type: 'sent', id: FakeSocket.latest().sent.at(-1)?.['id'] }));
    await expect(sent).resolves.toBeUndefined();
  });
});

describe('MizanProvider with the socket', () => {
  const profile = defineContext<{ user_id: number }, { name: string }>('user_profile', { global: false });
  const echo = defineQuery<{ text: string }, string>('echo');

  function Page() {
    const read = useMizanQuery(profile, { user_id: 1 });
    useMizanQuery(echo, { text: 'not a context' });
    const status = useMizanSocketStatus();
    return (
      <p data-testid="page">
        {read.data?.name ?? '…'} {status}
      </p>
    );
  }

  test('opens no socket without `socket={openSocket}`: the provider does not carry one', async () => {
    const fetch = vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
      const body = JSON.parse(String(init?.body)) as { fn?: string; calls?: { fn: string }[] };
      const answer = (fn: string) => ({ result: fn === 'echo' ? 'e' : { name: 'Alice' }, invalidate: [] });
      return Response.json(body.calls ? { results: body.calls.map((c) => answer(c.fn)) } : answer(body.fn ?? ''));
    });
    const client = createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const before = FakeSocket.all.length;
    render(
      <MizanProvider client={client} realtime={options}>
        <Page />
      </MizanProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('page').textContent).toContain('Alice'));
    expect(FakeSocket.all.length).toBe(before);
    expect(screen.getByTestId('page').textContent).toContain('disconnected');
  });

  test('watches the contexts on the page (not queries), and a push refetches them', async () => {
    let name = 'Alice';
    const fetch = vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
      const body = JSON.parse(String(init?.body)) as { fn?: string; calls?: { fn: string }[] };
      const answer = (fn: string) => ({ result: fn === 'echo' ? 'e' : { name }, invalidate: [] });
      return Response.json(body.calls ? { results: body.calls.map((c) => answer(c.fn)) } : answer(body.fn ?? ''));
    });
    const client = createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    render(
      <MizanProvider client={client} socket={openSocket} realtime={options}>
        <Page />
      </MizanProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('page').textContent).toContain('Alice'));
    act(() => FakeSocket.latest().open());
    expect(screen.getByTestId('page').textContent).toContain('connected');
    expect(FakeSocket.latest().sent).toEqual([
      { v: 1, action: 'watch', keys: ['user_profile:{"user_id":1}'] },
    ]);

    name = 'Alicia';
    act(() => FakeSocket.latest().message({ v: 1, type: 'invalidate', keys: ['user_profile:{"user_id":1}'] }));
    await waitFor(() => expect(screen.getByTestId('page').textContent).toContain('Alicia'));
  });
});
