// Realtime end to end: one socket per tab; a rename made in one tab reaches the pages other
// visitors have open, Leptos and React alike, without a reload; a socket from another origin is
// refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  baseUrl,
  newWatchedPage,
  restartServer,
  signIn,
  unexpectedProblems,
  useBrowser,
  useServer,
  waitForHydration,
  waitForText,
} from './browser.js';
import { heard, say } from './chat-page.js';

const browser = useBrowser();
useServer();

const signInAsAlice = (context) => signIn(context, 'alice@example.com', 'alice-password');
const signInAsAdmin = (context) => signIn(context, 'admin@example.com', 'admin-password');

/** The chat lines a page shows. */
const lines = (page) => page.getByTestId('chat-message').allTextContents();

/** Waits until the page's socket has said hello (its watches are then in place). */
async function socketOpen(page) {
  await page.waitForEvent('websocket', { timeout: 10_000 }).catch(() => undefined);
  await page.waitForTimeout(300);
}

test('a rename in one tab reaches other visitors’ Leptos and React pages without a reload, and not their own current user', async () => {
  const alice = await newWatchedPage(browser());
  const visitor = await newWatchedPage(browser());
  try {
    await signInAsAlice(alice.context);
    const leptos = visitor.page;
    const react = await visitor.context.newPage();
    const sockets = Promise.all([socketOpen(leptos), socketOpen(react)]);
    await leptos.goto(`${baseUrl}/users/1`);
    await waitForHydration(leptos);
    await react.goto(`${baseUrl}/react/users/1`);
    await waitForText(react, 'profile-name', 'Alice');
    await sockets;
    await Promise.all([leptos, react].map((page) => page.evaluate(() => {
      window.__sameDocument = true;
    })));
    // What each of the visitor's pages refetches from now on, by function (a batch, or one
    // read alone).
    const refetched = new Map([[leptos, []], [react, []]]);
    for (const [page, names] of refetched) {
      page.on('request', (request) => {
        const url = request.url();
        if (url.endsWith('/api/mizan/batch/')) {
          names.push(...(request.postDataJSON()?.calls ?? []).map((call) => call.fn));
        } else if (url.endsWith('/api/mizan/call/')) {
          names.push(request.postDataJSON()?.fn);
        }
      });
    }

    await alice.page.goto(`${baseUrl}/users/1`);
    await waitForHydration(alice.page);
    await alice.page.getByTestId('rename-input').fill('Alicia');
    await alice.page.getByTestId('rename-submit').click();
    await waitForText(alice.page, 'profile-name', 'Alicia');

    await waitForText(leptos, 'profile-name', 'Alicia');
    await waitForText(react, 'profile-name', 'Alicia');
    for (const page of [leptos, react]) {
      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
    }
    // The profile is everyone's, so it was refetched; `current_user` is `per_user`: alice's
    // changed, the visitor's did not, so neither of their pages asked for it.
    await leptos.waitForTimeout(500);
    for (const [page, names] of refetched) {
      assert.ok(names.includes('user_profile'), `${page.url()}: ${names}`);
      assert.ok(!names.includes('current_user'), `${page.url()}: ${names}`);
    }
    // Another visitor's header is their own: it says who they are, not alice.
    assert.match(await leptos.getByTestId('current-user').textContent(), /Not signed in/);
    assert.deepEqual(unexpectedProblems(visitor.problems), []);
    assert.deepEqual(unexpectedProblems(alice.problems), []);
  } finally {
    await alice.context.close();
    await visitor.context.close();
  }
});

test('chat both ways between Leptos pages, and between Leptos and React; one room hears nothing of another', async () => {
  const alice = await newWatchedPage(browser());
  const admin = await newWatchedPage(browser());
  try {
    await signInAsAlice(alice.context);
    await signInAsAdmin(admin.context);
    const aliceLeptos = alice.page;
    const adminLeptos = admin.page;
    const adminReact = await admin.context.newPage();
    const adminElsewhere = await admin.context.newPage();
    await aliceLeptos.goto(`${baseUrl}/chat/general`);
    await waitForHydration(aliceLeptos);
    await adminLeptos.goto(`${baseUrl}/chat/general`);
    await waitForHydration(adminLeptos);
    await adminReact.goto(`${baseUrl}/react/chat/general`);
    await adminElsewhere.goto(`${baseUrl}/chat/other`);
    await waitForHydration(adminElsewhere);
    for (const page of [aliceLeptos, adminLeptos, adminReact, adminElsewhere]) {
      await waitForText(page, 'chat-status', 'connected');
    }
    // Subscriptions go out right after the socket connects: let them land.
    await aliceLeptos.waitForTimeout(300);

    await say(aliceLeptos, 'hello from Leptos');
    for (const page of [aliceLeptos, adminLeptos, adminReact]) await heard(page, 'Alice: hello from Leptos');
    await say(adminLeptos, 'hi Alice');
    await heard(aliceLeptos, 'Admin: hi Alice');
    await say(adminReact, 'and from React');
    for (const page of [aliceLeptos, adminLeptos, adminReact]) await heard(page, 'Admin: and from React');
    assert.deepEqual(await lines(aliceLeptos), [
      'Alice: hello from Leptos',
      'Admin: hi Alice',
      'Admin: and from React',
    ]);
    assert.deepEqual(await lines(adminElsewhere), [], 'another room hears nothing');

    // A blank line is refused by the channel's rule, shown, and not broadcast.
    await say(aliceLeptos, '   ');
    await waitForText(aliceLeptos, 'error-message', 'VALIDATION_ERROR');
    assert.equal((await lines(adminReact)).length, 3);
    assert.deepEqual(unexpectedProblems(alice.problems), []);
    assert.deepEqual(unexpectedProblems(admin.problems), []);
  } finally {
    await alice.context.close();
    await admin.context.close();
  }
});

test('a visitor who is not signed in is refused by the chat', async () => {
  const { context, page } = await newWatchedPage(browser());
  try {
    await page.goto(`${baseUrl}/chat/general`);
    await waitForHydration(page);
    await waitForText(page, 'chat-status', 'connected');
    await say(page, 'let me in');
    await waitForText(page, 'error-message', 'UNAUTHORIZED');
  } finally {
    await context.close();
  }
});

test('after a server restart open pages reconnect by themselves and show fresh data', async () => {
  const alice = await newWatchedPage(browser());
  const visitor = await newWatchedPage(browser());
  try {
    await signInAsAlice(alice.context);
    const leptos = visitor.page;
    const react = await visitor.context.newPage();
    const status = await visitor.context.newPage();
    await leptos.goto(`${baseUrl}/users/1`);
    await waitForHydration(leptos);
    await react.goto(`${baseUrl}/react/users/1`);
    await waitForText(react, 'profile-name', 'Alice');
    await status.goto(`${baseUrl}/chat/general`);
    await waitForHydration(status);
    await waitForText(status, 'chat-status', 'connected');
    for (const page of [leptos, react]) await page.evaluate(() => { window.__sameDocument = true; });

    await restartServer(1500, () => waitForText(status, 'chat-status', 'disconnected'));
    // The server is back; the pages may not be yet. A rename now, by alice (her session is in
    // the database): pages that missed its push refetch what they show when they reconnect.
    const rename = await alice.context.request.post(`${baseUrl}/api/mizan/call/`, {
      data: { fn: 'update_name', args: { user_id: 1, name: 'After restart' } },
    });
    assert.equal(rename.status(), 200, await rename.text());

    await waitForText(status, 'chat-status', 'connected', 15_000);
    await waitForText(leptos, 'profile-name', 'After restart', 15_000);
    await waitForText(react, 'profile-name', 'After restart', 15_000);
    for (const page of [leptos, react]) {
      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
    }
  } finally {
    await alice.context.close();
    await visitor.context.close();
  }
});

test('a socket opened from another origin is refused', async () => {
  const { context, page } = await newWatchedPage(browser());
  try {
    // Same server, another origin: `localhost` is not `127.0.0.1` to the browser.
    const port = new URL(baseUrl).port;
    await page.goto(`http://localhost:${port}/react/`);
    const outcome = await page.evaluate(
      (url) =>
        new Promise((done) => {
          const socket = new WebSocket(url);
          socket.onopen = () => done('open');
          socket.onerror = () => done('refused');
        }),
      `ws://127.0.0.1:${port}/api/mizan/ws/`,
    );
    assert.equal(outcome, 'refused');
    const same = await page.evaluate(
      (url) =>
        new Promise((done) => {
          const socket = new WebSocket(url);
          socket.onopen = () => {
            done('open');
            socket.close();
          };
          socket.onerror = () => done('refused');
        }),
      `ws://localhost:${port}/api/mizan/ws/`,
    );
    assert.equal(same, 'open', 'the page’s own origin may open one');
  } finally {
    await context.close();
  }
});

/**
 * Opens a socket of the page's own (beside the app's), watches `keys`, and collects every frame
 * it gets in `window.__frames`; resolves with the `watching` answer.
 */
function watchFromPage(page, keys) {
  return page.evaluate(
    ([url, keys]) =>
      new Promise((answered, failed) => {
        window.__frames = [];
        const socket = new WebSocket(url);
        socket.onmessage = (event) => {
          const frame = JSON.parse(event.data);
          window.__frames.push(frame);
          if (frame.type === 'hello') socket.send(JSON.stringify({ v: 1, action: 'watch', keys }));
          if (frame.type === 'watching') answered(frame);
        };
        socket.onerror = () => failed(new Error('the socket did not open'));
      }),
    [`${baseUrl.replace('http', 'ws')}/api/mizan/ws/`, keys],
  );
}

test('a visitor who may not read a context cannot watch it, and its keys never reach them', async () => {
  const alice = await newWatchedPage(browser());
  const admin = await newWatchedPage(browser());
  try {
    await signInAsAlice(alice.context);
    await signInAsAdmin(admin.context);
    for (const page of [alice.page, admin.page]) await page.goto(`${baseUrl}/react/`);
    const refused = await watchFromPage(alice.page, ['user_directory', 'current_user']);
    assert.deepEqual(refused.keys, ['current_user']);
    assert.deepEqual(
      refused.refused.map(({ key, error }) => [key, error.code]),
      [['user_directory', 'FORBIDDEN']],
    );
    const accepted = await watchFromPage(admin.page, ['user_directory', 'current_user']);
    assert.deepEqual(accepted.keys, ['user_directory', 'current_user']);

    // Alice renames herself: the directory changed, and only staff hear of it; her
    // `current_user` changed, and only she hears of it (`per_user`).
    const rename = await alice.context.request.post(`${baseUrl}/api/mizan/call/`, {
      data: { fn: 'update_name', args: { user_id: 1, name: 'Alicia' } },
    });
    assert.equal(rename.status(), 200, await rename.text());
    const pushed = (page) =>
      page.waitForFunction(() => window.__frames.some((frame) => frame.type === 'invalidate'), null, {
        timeout: 10_000,
      }).then(() => page.evaluate(() => window.__frames.filter((f) => f.type === 'invalidate').flatMap((f) => f.keys)));
    assert.deepEqual(await pushed(admin.page), ['user_directory']);
    await pushed(alice.page);
    await alice.page.waitForTimeout(300);
    const own = (page) =>
      page.evaluate(() => window.__frames.filter((f) => f.type === 'invalidate').flatMap((f) => f.keys));
    assert.deepEqual([...new Set(await own(alice.page))], ['current_user'], 'nothing of the directory, later either');
    assert.deepEqual(await own(admin.page), ['user_directory'], 'nothing of alice’s own, later either');
  } finally {
    await alice.context.close();
    await admin.context.close();
  }
});
