// A tab that signs in (or up) acts as its new user at once, without a reload, in Leptos and in
// React: its socket, opened when the tab had no session, reopens under the new cookie, and so do
// the sockets of its sibling tabs (of either runtime). Shown through the chat, which only
// signed-in members may hear: a line said by another client reaches the tab that just signed in.
import { test } from 'node:test';
import assert from 'node:assert/strict';

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

/** Marks pages so that a reload, which would reset the mark, is seen. */
const mark = (pages) => Promise.all(pages.map((page) => page.evaluate(() => { window.__sameDocument = true; })));

/** Whether `page` is still the document `mark` marked. */
const sameDocument = (page) => page.evaluate(() => window.__sameDocument === true);

/** The admin, signed in elsewhere (a browser context of their own), in the room on a Leptos page. */
async function adminInTheRoom() {
  const admin = await newWatchedPage(browser());
  await signIn(admin.context, 'admin@example.com', 'admin-password');
  await admin.page.goto(`${baseUrl}/chat/general`);
  await waitForHydration(admin.page);
  await waitForText(admin.page, 'chat-status', 'connected');
  return admin;
}

/** Opens the chat on a page that has no session yet (the socket connects as nobody). */
async function anonymousInTheRoom(page, path) {
  await page.goto(`${baseUrl}${path}`);
  if (!path.startsWith('/react/')) await waitForHydration(page);
  await waitForText(page, 'current-user', 'Not signed in');
  await waitForText(page, 'chat-status', 'connected');
}

test('a fresh Leptos tab that signs up hears the room at once, and so does its React sibling, without a reload', async () => {
  const admin = await adminInTheRoom();
  const visitor = await newWatchedPage(browser());
  try {
    const sibling = await visitor.context.newPage();
    await anonymousInTheRoom(sibling, '/react/chat/general');
    const tab = visitor.page;
    await tab.goto(`${baseUrl}/signup`);
    await waitForHydration(tab);
    await mark([tab, sibling]);

    await tab.getByTestId('sign_up-name').fill('Newcomer');
    await tab.getByTestId('sign_up-email').fill('newcomer@example.com');
    await tab.getByTestId('sign_up-password').fill('long enough');
    await tab.getByTestId('sign_up-submit').click();
    await waitForText(tab, 'sign_up-success', 'you are signed in');
    await waitForText(tab, 'current-user', 'Signed in as Newcomer');
    // The router's link: the same document, the same runtime, the socket it had.
    await tab.locator('a[href="/chat/general"]').first().click();
    await tab.waitForURL(`${baseUrl}/chat/general`);
    await waitForText(tab, 'chat-status', 'connected');
    await waitForText(sibling, 'current-user', 'Signed in as Newcomer');
    await waitForText(sibling, 'chat-status', 'connected');
    // The subscriptions go out as the sockets (re)connect: let them land.
    await tab.waitForTimeout(300);

    await say(admin.page, 'welcome, newcomer');
    await heard(tab, 'Admin: welcome, newcomer');
    await heard(sibling, 'Admin: welcome, newcomer');
    await say(tab, 'thanks');
    await heard(admin.page, 'Newcomer: thanks');
    for (const page of [tab, sibling]) assert.equal(await sameDocument(page), true, 'no reload');
    assert.deepEqual(unexpectedProblems(visitor.problems), []);
    assert.deepEqual(unexpectedProblems(admin.problems), []);
  } finally {
    await visitor.context.close();
    await admin.context.close();
  }
});

test('a fresh React tab that signs in on the chat page hears the room at once, and so does its Leptos sibling, without a reload', async () => {
  const admin = await adminInTheRoom();
  const visitor = await newWatchedPage(browser());
  try {
    const tab = visitor.page;
    const sibling = await visitor.context.newPage();
    await anonymousInTheRoom(tab, '/react/chat/general');
    await anonymousInTheRoom(sibling, '/chat/general');
    await mark([tab, sibling]);

    await tab.getByTestId('login-email').fill('alice@example.com');
    await tab.getByTestId('login-password').fill('alice-password');
    await tab.getByTestId('login-submit').click();
    await waitForText(tab, 'current-user', 'Signed in as Alice');
    await waitForText(tab, 'chat-status', 'connected');
    await waitForText(sibling, 'chat-status', 'connected');
    await tab.waitForTimeout(300);

    await say(admin.page, 'hello alice');
    await heard(tab, 'Admin: hello alice');
    await heard(sibling, 'Admin: hello alice');
    await say(tab, 'hi from React');
    await heard(admin.page, 'Alice: hi from React');
    // The sibling's header was fetched as nobody: its reopened socket refetched it.
    await waitForText(sibling, 'current-user', 'Signed in as Alice');
    for (const page of [tab, sibling]) assert.equal(await sameDocument(page), true, 'no reload');
    assert.deepEqual(unexpectedProblems(visitor.problems), []);
    assert.deepEqual(unexpectedProblems(admin.problems), []);
  } finally {
    await visitor.context.close();
    await admin.context.close();
  }
});
