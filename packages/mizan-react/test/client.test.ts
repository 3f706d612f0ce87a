// The client against a stubbed fetch: the envelope, batching, errors, invalidations.
import { describe, expect, test, vi } from 'vitest';

import { MizanError, createMizanClient, prefetchContexts } from '../src/core/index.js';

/** A fetch answering from `answer(path, body)`, recording every request. */
function server(answer: (path: string, body: any) => { status?: number; body: unknown }) {
  const requests: { path: string; body: any; headers: Record<string, string> }[] = [];
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    const path = String(url);
    const body = JSON.parse(String(init?.body));
    requests.push({ path, body, headers: (init?.headers ?? {}) as Record<string, string> });
    const reply = answer(path, body);
    return new Response(JSON.stringify(reply.body), {
      status: reply.status ?? 200,
      headers: { 'content-type': 'application/json' },
    });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, requests };
}

describe('calls', () => {
  test('a call posts the envelope and resolves to the result; its keys reach the bus once', async () => {
    const { fetch, requests } = server(() => ({
      body: { result: { message: 'hi' }, invalidate: ['todos', 'todos', 'user_profile:{"user_id":1}'] },
    }));
    const client = createMizanClient({ fetch, baseUrl: 'http://app.test' });
    const seen: (readonly string[])[] = [];
    client.invalidations.subscribe((keys) => seen.push(keys));
    await expect(client.call('echo', { text: 'hi' })).resolves.toEqual({ message: 'hi' });
    expect(requests.map(({ path, body }) => ({ path, body }))).toEqual([
      { path: 'http://app.test/api/mizan/call/', body: { fn: 'echo', args: { text: 'hi' } } },
    ]);
    expect(requests[0]?.headers['content-type']).toBe('application/json');
    expect(seen).toEqual([['todos', 'user_profile:{"user_id":1}']]);
  });

  test('a refusal is the server’s MizanError with its details', async () => {
    const { fetch } = server(() => ({
      status: 422,
      body: {
        error: {
          code: 'VALIDATION_ERROR',
          message: '`text` must be 1 to 200 characters',
          details: { fields: { text: ['must be 1 to 200 characters'] } },
        },
      },
    }));
    const error = await createMizanClient({ fetch })
      .call('echo', { text: '' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MizanError);
    expect((error as MizanError).getFieldErrors('text')).toEqual(['must be 1 to 200 characters']);
  });

  test('no answer is NETWORK_ERROR; an answer that is not JSON is INVALID_RESPONSE', async () => {
    const down = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    const offline = await createMizanClient({ fetch: down }).call('echo').catch((e: unknown) => e);
    expect((offline as MizanError).code).toBe('NETWORK_ERROR');
    expect((offline as MizanError).isNetworkError()).toBe(true);

    const proxy = vi.fn(async () => new Response('<html>502</html>', { status: 502 }));
    const garbled = await createMizanClient({ fetch: proxy as unknown as typeof fetch })
      .call('echo')
      .catch((e: unknown) => e);
    expect((garbled as MizanError).code).toBe('INVALID_RESPONSE');
  });

  test('a result of the wrong shape is INVALID_RESPONSE', async () => {
    const { fetch } = server(() => ({ body: { message: 'no envelope' } }));
    const error = await createMizanClient({ fetch }).call('echo').catch((e: unknown) => e);
    expect((error as MizanError).code).toBe('INVALID_RESPONSE');
  });
});

describe('batched reads', () => {
  test('reads of one tick go in one batch, answered in order, one failing alone', async () => {
    const { fetch, requests } = server((_path, body) => ({
      body: {
        results: body.calls.map((call: { fn: string; args: { n?: number } }) =>
          call.fn === 'broken'
            ? { error: { code: 'NOT_FOUND', message: 'no function `broken`', details: null } }
            : { result: (call.args.n ?? 0) * 2, invalidate: [] },
        ),
      },
    }));
    const client = createMizanClient({ fetch });
    const reads = [client.read('double', { n: 1 }), client.read('broken'), client.read('double', { n: 3 })];
    const settled = await Promise.allSettled(reads);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.path).toBe('/api/mizan/batch/');
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 2 });
    expect(settled[1]?.status).toBe('rejected');
    expect(((settled[1] as PromiseRejectedResult).reason as MizanError).code).toBe('NOT_FOUND');
    expect(settled[2]).toEqual({ status: 'fulfilled', value: 6 });
  });

  test('one read alone is a plain call; more than 64 split into batches of at most 64', async () => {
    const { fetch, requests } = server((path, body) =>
      path.endsWith('/batch/')
        ? { body: { results: body.calls.map(() => ({ result: 1, invalidate: [] })) } }
        : { body: { result: 1, invalidate: [] } },
    );
    const client = createMizanClient({ fetch });
    await client.read('one');
    expect(requests.map((r) => r.path)).toEqual(['/api/mizan/call/']);
    requests.length = 0;
    await Promise.all(Array.from({ length: 65 }, (_, n) => client.read('x', { n })));
    expect(requests.map((r) => r.body.calls?.length ?? 1)).toEqual([64, 1]);
  });

  test('prefetching global contexts gives a payload keyed by context, without the ones refused', async () => {
    const { fetch, requests } = server(() => ({
      body: {
        results: [
          { result: { name: 'Alice' }, invalidate: [] },
          { error: { code: 'UNAUTHORIZED', message: 'sign in', details: null } },
        ],
      },
    }));
    const hydration = await prefetchContexts(['current_user', 'secrets'], {
      fetch,
      baseUrl: 'http://app.test',
      headers: { cookie: 'mizan_session=abc' },
    });
    expect(hydration).toEqual({ version: 1, contexts: { current_user: { name: 'Alice' } } });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers.cookie).toBe('mizan_session=abc');
  });
});

describe('identity changes', () => {
  /** A fetch answering `body` with `status`, and the identity header when `changed`. */
  function answering(body: unknown, { status = 200, changed = false, value = 'changed' } = {}) {
    return vi.fn(async () =>
      Response.json(body, { status, headers: changed ? { 'x-mizan-identity': value } : {} }),
    ) as unknown as typeof globalThis.fetch;
  }

  test('a response that says the session changed hands tells the listeners once, after its body is in', async () => {
    const client = createMizanClient({ fetch: answering({ result: null, invalidate: ['current_user'] }, { changed: true }) });
    const heard: string[] = [];
    client.invalidations.subscribe(() => heard.push('keys'));
    const stop = client.onIdentityChanged(() => heard.push('identity'));
    await client.call('login', { email: 'a@example.com', password: 'p' });
    expect(heard).toEqual(['identity', 'keys']);

    stop();
    await client.call('login');
    expect(heard, 'unsubscribed').toEqual(['identity', 'keys', 'keys']);
  });

  test('a refused answer carrying the header tells them too; batches are read the same', async () => {
    const refused = createMizanClient({
      fetch: answering(
        { error: { code: 'UNAUTHORIZED', message: 'the session ended', details: null } },
        { status: 401, changed: true },
      ),
    });
    let told = 0;
    refused.onIdentityChanged(() => (told += 1));
    await expect(refused.call('whoami')).rejects.toBeInstanceOf(MizanError);
    expect(told).toBe(1);

    const batch = createMizanClient({
      fetch: answering({ results: [{ result: 1, invalidate: [] }, { result: 2, invalidate: [] }] }, { changed: true }),
    });
    batch.onIdentityChanged(() => (told += 1));
    await Promise.all([batch.read('one'), batch.read('two')]);
    expect(told).toBe(2);
  });

  test('no header, or another value, is no change', async () => {
    for (const fetch of [
      answering({ result: 1, invalidate: [] }),
      answering({ result: 1, invalidate: [] }, { changed: true, value: 'unchanged' }),
    ]) {
      const client = createMizanClient({ fetch });
      let told = 0;
      client.onIdentityChanged(() => (told += 1));
      await client.call('echo');
      expect(told).toBe(0);
    }
  });
});
