// Realtime end to end: one socket per tab; a rename made in one tab reaches the pages other
// visitors have open, Leptos and React alike, without a reload; a socket from another origin is
// refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  baseUrl,
  newWatchedPage,
  unexpectedProblems,
  useBrowser,
  useServer,
  waitForHydration,
  waitForText,
} from './browser.js';

const browser = useBrowser();
useServer();

async function signInAsAlice(context) {
  const login = await context.request.post(`${baseUrl}/api/mizan/call/`, {
    data: { fn: 'login', args: { email: 'alice@example.com', password: 'alice-password' } },
  });
  assert.equal(login.status(), 200);
}

/** Waits until the page's socket has said hello (its watches are then in place). */
async function socketOpen(page) {
  await page.waitForEvent('websocket', { timeout: 10_000 }).catch(() => undefined);
  await page.waitForTimeout(300);
}

test('a rename in one tab reaches other visitors’ Leptos and React pages without a reload', async () => {
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
    // Another visitor's header is their own: it says who they are, not alice.
    assert.match(await leptos.getByTestId('current-user').textContent(), /Not signed in/);
    assert.deepEqual(unexpectedProblems(visitor.problems), []);
    assert.deepEqual(unexpectedProblems(alice.problems), []);
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
