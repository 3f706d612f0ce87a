// Optimistic patches on TanStack Query's cache: shown before the request leaves, kept until the
// refetch the answer started lands (never the old value in between), rolled back on an error,
// stacked, and re-applied on top of a value another client's push brought.
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, test, vi } from 'vitest';

import {
  MizanProvider,
  createMizanClient,
  defineContext,
  defineMutation,
  useMizanCall,
  useMizanMutation,
  useMizanQuery,
  type MizanClient,
  type OptimisticPatches,
} from '../src/react/index.js';

afterEach(cleanup);

type Profile = { name: string };
type RenameArgs = { user_id: number; name: string };
const userProfile = defineContext<{ user_id: number }, Profile>('user_profile', { global: false });
const rename = defineMutation<RenameArgs, null, { user_profile: Profile }>('rename', {
  affects: ['user_profile'],
});
const patches = { user_profile: (profile: Profile, args: RenameArgs) => ({ ...profile, name: args.name }) };

interface HeldCall {
  readonly args: RenameArgs;
  /** Stores the name and answers with its key (or `keys`). */
  succeed(keys?: string[]): void;
  /** Refuses the call (403), storing nothing. */
  refuse(): void;
}

/**
 * A server keeping names by user id (a rename stores `store(name)`). Reads answer at once unless
 * held, with the names as they were when the read arrived; each `rename` waits until the test
 * answers it.
 */
function heldServer(store: (name: string) => string = (name) => name) {
  const names = new Map<number, string>([
    [1, 'Alice'],
    [2, 'Bob'],
  ]);
  const calls: HeldCall[] = [];
  let gate: Promise<void> | undefined;
  let open = () => {};
  const read = (call: { fn: string; args: { user_id: number } }) => ({
    result: { name: names.get(call.args.user_id) },
    invalidate: [],
  });
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    if (String(url).endsWith('/batch/')) {
      const results = body.calls.map(read);
      await gate;
      return Response.json({ results });
    }
    if (body.fn === 'user_profile') {
      const result = read(body);
      await gate;
      return Response.json(result);
    }
    return new Promise<Response>((resolve) => {
      calls.push({
        args: body.args,
        succeed: (keys) => {
          names.set(body.args.user_id, store(body.args.name));
          resolve(
            Response.json({ result: null, invalidate: keys ?? [`user_profile:{"user_id":${body.args.user_id}}`] }),
          );
        },
        refuse: () =>
          resolve(
            Response.json(
              { error: { code: 'FORBIDDEN', message: 'you may rename only yourself', details: null } },
              { status: 403 },
            ),
          ),
      });
    });
  });
  return {
    client: createMizanClient({ fetch: fetch as unknown as typeof globalThis.fetch }),
    names,
    calls,
    holdReads: () => {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    releaseReads: () => {
      open();
      gate = undefined;
    },
  };
}

/** Every value each profile rendered, in order. */
const rendered = new Map<number, string[]>();

function ShownProfile({ userId }: { userId: number }) {
  const profile = useMizanQuery(userProfile, { user_id: userId });
  const name = profile.data?.name ?? 'loading';
  rendered.set(userId, [...(rendered.get(userId) ?? []), name]);
  return <p data-testid={`profile-${userId}`}>{name}</p>;
}

/** User 1's profile, in a provider of its own. */
function OtherProfile() {
  const profile = useMizanQuery(userProfile, { user_id: 1 });
  return <p data-testid="other-1">{profile.data?.name ?? 'loading'}</p>;
}

/** A component calling `rename` through `useMizanCall` with `optimistic`, and its call. */
function callerOf(optimistic: OptimisticPatches<RenameArgs, { user_profile: Profile }>) {
  let current: ((args: RenameArgs) => Promise<null>) | undefined;
  return {
    Rename() {
      current = useMizanCall(rename, { optimistic });
      return null;
    },
    call: (args: RenameArgs) => current?.(args) ?? Promise.reject(new Error('not rendered yet')),
  };
}

function Page({ client, children }: { client: MizanClient; children?: React.ReactNode }) {
  return (
    <MizanProvider client={client} realtime={false} hydration={{ version: 1, contexts: {} }}>
      <ShownProfile userId={1} />
      <ShownProfile userId={2} />
      {children}
    </MizanProvider>
  );
}

const shown = (userId: number) => screen.getByTestId(`profile-${userId}`).textContent;

/** Lets pending promises and TanStack's scheduled notifications run. */
const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 20)));

async function renderPage(server: ReturnType<typeof heldServer>, children?: React.ReactNode) {
  rendered.clear();
  render(<Page client={server.client}>{children}</Page>);
  await waitFor(() => expect(shown(1)).toBe('Alice'));
  expect(shown(2)).toBe('Bob');
}

describe('optimistic patches in React', () => {
  test('show before the answer, stay until the refetch lands, and never flicker back', async () => {
    const server = heldServer();
    let mutation: ReturnType<typeof useMizanMutation<RenameArgs, null, { user_profile: Profile }>> | undefined;
    function Rename() {
      mutation = useMizanMutation(rename, { optimistic: patches });
      return null;
    }
    await renderPage(server, <Rename />);

    act(() => mutation?.mutate({ user_id: 1, name: 'Alicia' }));
    await waitFor(() => expect(shown(1)).toBe('Alicia'));
    expect(server.calls).toHaveLength(1);
    expect(shown(2)).toBe('Bob');

    // Answered, its refetch held: the patch still shows.
    server.holdReads();
    server.calls[0]?.succeed();
    await waitFor(() => expect(mutation?.isSuccess).toBe(true));
    await settle();
    expect(shown(1)).toBe('Alicia');

    server.releaseReads();
    await settle();
    expect(shown(1)).toBe('Alicia');
    const afterPatch = rendered.get(1)?.slice(rendered.get(1)?.indexOf('Alicia'));
    expect(afterPatch?.every((name) => name === 'Alicia')).toBe(true);
    expect(rendered.get(2)?.every((name) => name === 'loading' || name === 'Bob')).toBe(true);

    // The patch is gone: the next change another client makes shows as it is.
    server.names.set(1, 'Ali');
    act(() => server.client.invalidate(['user_profile:{"user_id":1}']));
    await waitFor(() => expect(shown(1)).toBe('Ali'));
  });

  test('an error rolls the patch back and is the mutation’s', async () => {
    const server = heldServer();
    let mutation: ReturnType<typeof useMizanMutation<RenameArgs, null, { user_profile: Profile }>> | undefined;
    function Rename() {
      mutation = useMizanMutation(rename, { optimistic: patches });
      return null;
    }
    await renderPage(server, <Rename />);

    act(() => mutation?.mutate({ user_id: 2, name: 'Robert' }));
    await waitFor(() => expect(shown(2)).toBe('Robert'));
    server.calls[0]?.refuse();
    await waitFor(() => expect(shown(2)).toBe('Bob'));
    await waitFor(() => expect(mutation?.error?.code).toBe('FORBIDDEN'));
    expect(shown(1)).toBe('Alice');
  });

  test('stacked calls show in order and roll back on their own', async () => {
    const server = heldServer();
    const caller = callerOf(patches);
    await renderPage(server, <caller.Rename />);

    let first: Promise<unknown> | undefined;
    act(() => {
      first = caller.call({ user_id: 1, name: 'First' }).catch((error: unknown) => error);
      void caller.call({ user_id: 1, name: 'Second' });
    });
    await waitFor(() => expect(shown(1)).toBe('Second'));
    await waitFor(() => expect(server.calls).toHaveLength(2));

    server.calls[0]?.refuse();
    expect(await first).toMatchObject({ code: 'FORBIDDEN' });
    await settle();
    expect(shown(1)).toBe('Second');

    server.calls[1]?.succeed();
    await settle();
    expect(shown(1)).toBe('Second');
    expect(server.names.get(1)).toBe('Second');
    expect(rendered.get(1)).not.toContain('First');
  });

  test('another client’s push while a patch is pending lands under it', async () => {
    const server = heldServer();
    const caller = callerOf(patches);
    await renderPage(server, <caller.Rename />);

    act(() => void caller.call({ user_id: 1, name: 'Mine' }));
    await waitFor(() => expect(shown(1)).toBe('Mine'));
    // Someone else renames user 1; their push refetches, and the patch stays on top.
    server.names.set(1, 'Theirs');
    act(() => server.client.invalidate(['user_profile:{"user_id":1}']));
    await settle();
    expect(shown(1)).toBe('Mine');

    // A push arriving while a refetch runs, before the answer: still on top.
    server.holdReads();
    server.names.set(1, 'Theirs again');
    act(() => server.client.invalidate(['user_profile:{"user_id":1}']));
    await settle();
    expect(shown(1)).toBe('Mine');
    server.releaseReads();
    await settle();
    expect(shown(1)).toBe('Mine');

    server.calls[0]?.succeed();
    await settle();
    expect(shown(1)).toBe('Mine');
    expect(rendered.get(1)?.slice(rendered.get(1)?.indexOf('Mine'))).not.toContain('Theirs');
  });

  test('a patch the answer’s keys do not cover goes at once', async () => {
    const server = heldServer();
    const caller = callerOf(patches);
    await renderPage(server, <caller.Rename />);

    act(() => void caller.call({ user_id: 1, name: 'Nobody' }));
    await waitFor(() => expect(shown(1)).toBe('Nobody'));
    // The server says it changed nothing the page shows: nothing to wait for.
    server.calls[0]?.succeed(['user_directory']);
    await waitFor(() => expect(shown(1)).toBe('Alice'));
  });

  test('a patch made while a refetch runs is on the value that refetch lands', async () => {
    const server = heldServer();
    const caller = callerOf(patches);
    await renderPage(server, <caller.Rename />);

    server.holdReads();
    server.names.set(1, 'Alice Smith');
    act(() => server.client.invalidate(['user_profile:{"user_id":1}']));
    act(() => void caller.call({ user_id: 1, name: 'Patched' }));
    await waitFor(() => expect(shown(1)).toBe('Patched'));
    server.releaseReads();
    await settle();
    expect(shown(1)).toBe('Patched');
    server.calls[0]?.succeed();
    await settle();
    expect(shown(1)).toBe('Patched');
    expect(rendered.get(1)?.slice(rendered.get(1)?.indexOf('Patched'))).not.toContain('Alice Smith');
  });
  test('an answer while a refetch runs: the refetch it cancels is never shown', async () => {
    const server = heldServer();
    const caller = callerOf(patches);
    await renderPage(server, <caller.Rename />);

    // A push's refetch reads the name from before the rename, and is held.
    server.holdReads();
    act(() => server.client.invalidate(['user_profile:{"user_id":1}']));
    await settle();
    act(() => void caller.call({ user_id: 1, name: 'Mine' }));
    await waitFor(() => expect(shown(1)).toBe('Mine'));
    // The answer's refetch cancels it, and reads the stored name.
    server.calls[0]?.succeed();
    await settle();
    server.releaseReads();
    await settle();
    expect(shown(1)).toBe('Mine');
    expect(rendered.get(1)?.slice(rendered.get(1)?.indexOf('Mine'))).not.toContain('Alice');
  });

  test('a call made during the first load: the patch shows on it, then the refetch after it', async () => {
    // The server stores names in capitals: the patch and the stored value differ.
    const server = heldServer((name) => name.toUpperCase());
    const caller = callerOf(patches);
    rendered.clear();
    server.holdReads();
    render(<Page client={server.client}><caller.Rename /></Page>);
    await settle();
    expect(shown(1)).toBe('loading');

    act(() => void caller.call({ user_id: 1, name: 'Mine' }));
    server.calls[0]?.succeed();
    await settle();
    // The first load read the server before the rename; it lands patched.
    server.releaseReads();
    await waitFor(() => expect(shown(1)).not.toBe('loading'));
    // Then the refetch the answer asked for, which TanStack could not start during the load.
    await waitFor(() => expect(shown(1)).toBe('MINE'));
    expect(rendered.get(1)?.filter((name) => name !== 'loading')).not.toContain('Alice');
  });

  test('patches go to the query client of the provider that calls, not to another sharing its client', async () => {
    const server = heldServer();
    const caller = callerOf(patches);
    rendered.clear();
    render(
      <>
        <Page client={server.client}>
          <caller.Rename />
        </Page>
        <MizanProvider client={server.client} realtime={false}>
          <OtherProfile />
        </MizanProvider>
      </>,
    );
    const other = () => screen.getByTestId('other-1').textContent;
    await waitFor(() => expect(other()).toBe('Alice'));
    await waitFor(() => expect(shown(1)).toBe('Alice'));
    act(() => void caller.call({ user_id: 1, name: 'Mine' }));
    await waitFor(() => expect(shown(1)).toBe('Mine'));
    expect(other()).toBe('Alice');
    // The answer's keys reach both (one client): both refetch.
    server.calls[0]?.succeed();
    await waitFor(() => expect(other()).toBe('Mine'));
    expect(shown(1)).toBe('Mine');
  });

  test('a patch that throws or returns nothing is left out; the call goes on', async () => {
    const server = heldServer();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const caller = callerOf({
      user_profile: (profile, args) => {
        if (args.name === 'boom') throw new Error('a broken patch');
        return (args.name === 'nothing' ? undefined : profile) as Profile;
      },
    });
    await renderPage(server, <caller.Rename />);
    let answered: Promise<unknown> | undefined;
    act(() => {
      answered = caller.call({ user_id: 1, name: 'boom' });
      void caller.call({ user_id: 1, name: 'nothing' });
    });
    await settle();
    expect(shown(1)).toBe('Alice');
    expect(errors).toHaveBeenCalled();
    server.calls[0]?.succeed();
    expect(await answered).toBeNull();
    errors.mockRestore();
  });
});
