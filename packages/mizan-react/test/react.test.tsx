// The React adapter on TanStack Query: hydration, one refetch per covered query per response,
// stale data kept visible, no retry of a refused call.
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, test, vi } from 'vitest';

import {
  MizanError,
  MizanProvider,
  createMizanClient,
  defineContext,
  defineMutation,
  useMizanCall,
  useMizanMutation,
  useMizanQuery,
  type MizanClient,
} from '../src/react/index.js';

afterEach(cleanup);

type Profile = { name: string };
const userProfile = defineContext<{ user_id: number }, Profile>('user_profile', { global: false });
const currentUser = defineContext<Record<string, never>, Profile | null>('current_user', { global: true });
const rename = defineMutation<{ user_id: number; name: string }, null>('rename');

/** A server keeping names by user id; `rename` invalidates two keys covering user 1's profile. */
function fakeServer(options: { refuse?: boolean } = {}) {
  const names = new Map<number, string>([
    [1, 'Alice'],
    [2, 'Bob'],
  ]);
  const reads: string[] = [];
  const answer = (call: { fn: string; args: any }) => {
    if (call.fn === 'user_profile') {
      reads.push(`user_profile:${call.args.user_id}`);
      if (options.refuse) {
        return { error: { code: 'FORBIDDEN', message: 'not yours', details: null } };
      }
      return { result: { name: names.get(call.args.user_id) }, invalidate: [] };
    }
    if (call.fn === 'current_user') {
      reads.push('current_user');
      return { result: { name: 'Alice' }, invalidate: [] };
    }
    names.set(call.args.user_id, call.args.name);
    return {
      result: null,
      invalidate: ['user_profile:{"user_id":1}', 'user_profile', 'current_user'],
    };
  };
  // While held, reads wait: to see what the page shows meanwhile.
  let gate: Promise<void> | undefined;
  let open = () => {};
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    if (String(url).endsWith('/batch/')) {
      await gate;
      return Response.json({ results: body.calls.map(answer) });
    }
    if (body.fn !== 'rename') await gate;
    const reply = answer(body);
    return 'error' in reply ? Response.json(reply, { status: 403 }) : Response.json(reply);
  });
  return {
    client: createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch }),
    fetch,
    reads,
    names,
    holdReads: () => {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    releaseReads: () => open(),
  };
}

function Profile({ userId }: { userId: number }) {
  const profile = useMizanQuery(userProfile, { user_id: userId });
  if (profile.error) return <p data-testid={`error-${userId}`}>{profile.error.code}</p>;
  return <p data-testid={`profile-${userId}`}>{profile.data?.name ?? 'loading'}</p>;
}

function Rename() {
  const call = useMizanCall(rename);
  return <button onClick={() => void call({ user_id: 1, name: 'Alicia' })}>rename</button>;
}

function Page({ client }: { client: MizanClient }) {
  return (
    <MizanProvider client={client} realtime={false} hydration={{ version: 1, contexts: {} }}>
      <Profile userId={1} />
      <Profile userId={2} />
      <Rename />
    </MizanProvider>
  );
}

describe('MizanProvider', () => {
  test('the hydrated contexts render at once, with no request', async () => {
    const { client, fetch } = fakeServer();
    function Me() {
      const me = useMizanQuery(currentUser, {});
      return <p data-testid="me">{me.data?.name ?? 'loading'}</p>;
    }
    render(
      <MizanProvider client={client} realtime={false} hydration={{ version: 1, contexts: { current_user: { name: 'Zoë' } } }}>
        <Me />
      </MizanProvider>,
    );
    expect(screen.getByTestId('me').textContent).toBe('Zoë');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fetch).not.toHaveBeenCalled();
  });

  test('first reads go in one batch; a response’s keys refetch each covered query once, old data shown meanwhile', async () => {
    const server = fakeServer();
    render(<Page client={server.client} />);
    await waitFor(() => expect(screen.getByTestId('profile-1').textContent).toBe('Alice'));
    expect(screen.getByTestId('profile-2').textContent).toBe('Bob');
    expect(server.fetch).toHaveBeenCalledTimes(1);
    expect(server.reads.sort()).toEqual(['user_profile:1', 'user_profile:2']);

    server.reads.length = 0;
    server.holdReads();
    await act(async () => {
      screen.getByRole('button').click();
    });
    // `user_profile` covers both instances, `user_profile:{"user_id":1}` the first again:
    // one refetch each, not two for user 1, and in one batch.
    await waitFor(() => expect(server.fetch).toHaveBeenCalledTimes(3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.getByTestId('profile-1').textContent).toBe('Alice');
    server.releaseReads();
    await waitFor(() => expect(screen.getByTestId('profile-1').textContent).toBe('Alicia'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.reads.sort()).toEqual(['user_profile:1', 'user_profile:2']);
  });

  test('a refused read is shown as its MizanError and not retried', async () => {
    const server = fakeServer({ refuse: true });
    render(
      <MizanProvider client={server.client} realtime={false}>
        <Profile userId={1} />
      </MizanProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('error-1').textContent).toBe('FORBIDDEN'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.reads).toEqual(['user_profile:1']);
  });

  test('the mutation hook has TanStack’s state and a MizanError for a failure', async () => {
    const fetch = vi.fn(async () =>
      Response.json(
        { error: { code: 'UNAUTHORIZED', message: 'sign in to call `rename`', details: null } },
        { status: 401 },
      ),
    );
    const client = createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    let state: ReturnType<typeof useMizanMutation<{ user_id: number; name: string }, null>> | undefined;
    function Form() {
      state = useMizanMutation(rename);
      return null;
    }
    render(
      <MizanProvider client={client} realtime={false}>
        <Form />
      </MizanProvider>,
    );
    await act(async () => {
      await state?.mutateAsync({ user_id: 1, name: 'x' }).catch(() => undefined);
    });
    await waitFor(() => expect(state?.isError).toBe(true));
    expect(state?.error).toBeInstanceOf(MizanError);
    expect(state?.error?.isAuthError()).toBe(true);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  test('a mutation without arguments is `mutate()`, sent as an empty arguments object', async () => {
    const fetch = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) =>
      Response.json({ result: null, invalidate: [] }),
    );
    const client = createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const logout = defineMutation<Record<string, never>, null>('logout');
    let state: ReturnType<typeof useMizanMutation<Record<string, never>, null>> | undefined;
    function SignOut() {
      state = useMizanMutation(logout);
      return null;
    }
    render(
      <MizanProvider client={client} realtime={false}>
        <SignOut />
      </MizanProvider>,
    );
    act(() => state?.mutate());
    await waitFor(() => expect(state?.isSuccess).toBe(true));
    const [, init] = fetch.mock.calls[0] ?? [];
    expect(JSON.parse(String(init?.body))).toEqual({ fn: 'logout', args: {} });

    // Only where every argument may be left out: `rename` still needs its arguments.
    function Typed() {
      const renameState = useMizanMutation(rename);
      // @ts-expect-error `rename` takes `user_id` and `name`
      const untyped = () => renameState.mutate();
      void untyped;
      return null;
    }
    void Typed;
  });

  test('hooks outside the provider say what is missing', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(() => render(<Profile userId={1} />)).toThrow(/<MizanContext>/);
    spy.mockRestore();
  });
});
