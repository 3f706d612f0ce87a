// The socket's fallback end to end: behind a proxy that refuses WebSocket upgrades, Leptos and
// React pages connect over the event stream by themselves, chat both ways, get another visitor's
// rename pushed, and remember the fallback for the tab.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startBlockingProxy } from './blocking-proxy.js';
import {
  baseUrl,
  newWatchedPage,
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

/** What the tab remembered about its transport. */
const remembered = (page) => page.evaluate(() => sessionStorage.getItem('mizan.transport'));

/** A frame posted up the fallback, answered. */
const posted = (response) =>
  response.url().endsWith('/api/mizan/sse/') && response.request().method() === 'POST';

/**
 * The browser's complaints about the refused upgrades are what this test is about, and a reload
 * aborts the page's open event stream.
 */
const withoutRefusedUpgrades = (problems) =>
  unexpectedProblems(problems).filter(
    (problem) =>
      !problem.includes('/api/mizan/ws/') &&
      !(problem.startsWith('request failed: GET') && problem.endsWith('/api/mizan/sse/ net::ERR_ABORTED')),
  );

test('with upgrades refused, chat and pushed invalidations flow over the fallback in Leptos and React', async () => {
  const proxy = await startBlockingProxy(baseUrl);
  const alice = await newWatchedPage(browser());
  const admin = await newWatchedPage(browser());
  const visitor = await newWatchedPage(browser());
  try {
    // The session cookie is the server host's, which the proxy shares (cookies ignore ports).
    await signIn(alice.context, 'alice@example.com', 'alice-password');
    await signIn(admin.context, 'admin@example.com', 'admin-password');

    const aliceChat = alice.page;
    const adminChat = admin.page;
    await aliceChat.goto(`${proxy.url}/chat/general`);
    await waitForHydration(aliceChat);
    await adminChat.goto(`${proxy.url}/react/chat/general`);
    const leptos = visitor.page;
    const react = await visitor.context.newPage();
    await leptos.goto(`${proxy.url}/users/1`);
    await waitForHydration(leptos);
    await react.goto(`${proxy.url}/react/users/1`);
    await waitForText(react, 'profile-name', 'Alice');
    for (const page of [aliceChat, adminChat]) await waitForText(page, 'chat-status', 'connected');
    for (const page of [aliceChat, adminChat, leptos, react]) {
      await page.waitForFunction(() => sessionStorage.getItem('mizan.transport') === 'sse', null, {
        timeout: 10_000,
      });
      await page.evaluate(() => {
        window.__sameDocument = true;
      });
    }
    assert.ok(proxy.refused.upgrades >= 4, `each tab tried a socket first (${proxy.refused.upgrades})`);
    // Watches and subscriptions go up right after `hello`: let them land.
    await aliceChat.waitForTimeout(500);

    await say(aliceChat, 'over the stream');
    await heard(adminChat, 'Alice: over the stream');
    await say(adminChat, 'and back from React');
    await heard(aliceChat, 'Admin: and back from React');

    const rename = await alice.context.request.post(`${proxy.url}/api/mizan/call/`, {
      data: { fn: 'update_name', args: { user_id: 1, name: 'Streamed' } },
    });
    assert.equal(rename.status(), 200, await rename.text());
    await waitForText(leptos, 'profile-name', 'Streamed');
    await waitForText(react, 'profile-name', 'Streamed');
    for (const page of [leptos, react]) {
      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
    }

    // The tab remembers: after a reload it goes straight to the stream.
    const before = proxy.refused.upgrades;
    const watched = [leptos, react].map((page) => page.waitForResponse(posted, { timeout: 15_000 }));
    await leptos.reload();
    await waitForHydration(leptos);
    await react.reload();
    await waitForText(react, 'profile-name', 'Streamed');
    // The first frame a page posts is its watch.
    await Promise.all(watched);
    const renameAgain = await alice.context.request.post(`${proxy.url}/api/mizan/call/`, {
      data: { fn: 'update_name', args: { user_id: 1, name: 'Streamed again' } },
    });
    assert.equal(renameAgain.status(), 200, await renameAgain.text());
    await waitForText(leptos, 'profile-name', 'Streamed again');
    await waitForText(react, 'profile-name', 'Streamed again');
    assert.equal(proxy.refused.upgrades, before, 'no socket tried after the reload');
    assert.equal(await remembered(leptos), 'sse');

    for (const { problems } of [alice, admin, visitor]) {
      assert.deepEqual(withoutRefusedUpgrades(problems), []);
    }
  } finally {
    await alice.context.close();
    await admin.context.close();
    await visitor.context.close();
    await proxy.close();
  }
});
