// Contexts end to end: /users/:id arrives rendered with its two contexts, hydrates without asking
// the server for them, and a rename refreshes exactly the profile and the header, in one request.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  baseUrl,
  onHydratedPage,
  signIn,
  unexpectedProblems,
  useBrowser,
  useServer,
  waitForText,
} from './browser.js';

const browser = useBrowser();
useServer();

/** Signs the page's browser context in as alice. */
const signInAsAlice = ({ context }) => signIn(context, 'alice@example.com', 'alice-password');

/** Opens `path` signed in as alice, hydrated; runs `body`; always closes. */
const onAlicePage = (path, body) => onHydratedPage(browser(), path, body, { before: signInAsAlice });

const apiRequests = (responses) =>
  responses.map((r) => new URL(r.url()).pathname).filter((path) => path.startsWith('/api/'));

test('/users/1 arrives with the profile and the current user in its HTML and hydrates without a request', async () => {
  await onAlicePage('/users/1', async ({ context, page, problems, responses }) => {
    // Hydrated, and the network has gone quiet: a context fetched after hydration would show.
    await page.waitForLoadState('networkidle');
    assert.equal(await page.getByTestId('profile-name').textContent(), 'Alice');
    assert.match(await page.getByTestId('current-user').textContent(), /Signed in as Alice/);
    // The composed contexts meet on the page: the viewer is the profile's user.
    assert.equal(await page.getByTestId('profile-rule').textContent(), 'This is you: you may rename yourself.');
    assert.deepEqual(apiRequests(responses), []);
    assert.deepEqual(unexpectedProblems(problems), []);

    // The same page as the server sends it: both values are already in the HTML.
    const html = await (await context.request.get(`${baseUrl}/users/1`)).text();
    assert.match(html, /data-testid="profile-name"[^>]*>Alice</);
    assert.match(html, /Signed in as Alice/);
  });
});

test('renaming yourself refreshes the profile and the header without a reload, in one refetch request', async () => {
  await onAlicePage('/users/1', async ({ page, problems, responses }) => {
    await page.evaluate(() => {
      window.__sameDocument = true;
      // Stale data stays visible while refetching: record whether the fallback ever shows.
      window.__fallbackShown = false;
      new MutationObserver(() => {
        if (document.body.textContent.includes('Loading the profile')) window.__fallbackShown = true;
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    const name = `Alice ${Date.now()}`;
    const mutation = page.waitForResponse((r) => r.url().endsWith('/api/mizan/fn/update_name'));
    const refetch = page.waitForRequest((r) => r.url().endsWith('/api/mizan/batch/'));
    await page.getByTestId('rename-input').fill(name);
    await page.getByTestId('rename-submit').click();

    const answered = await mutation;
    assert.equal(answered.status(), 200);
    const expectedKeys = ['user_profile:{"user_id":1}', 'current_user', 'user_directory'];
    assert.deepEqual(JSON.parse(answered.headers()['x-mizan-invalidate']), expectedKeys);
    assert.deepEqual((await answered.json()).invalidate, expectedKeys);

    await waitForText(page, 'profile-name', name);
    await waitForText(page, 'current-user', `Signed in as ${name}`);
    // Both instances were refetched together: one batch with both calls.
    const batch = (await refetch).postDataJSON();
    assert.deepEqual(
      batch.calls.map((c) => c.fn).sort(),
      ['current_user', 'user_profile'],
    );
    await page.waitForLoadState('networkidle');
    assert.deepEqual(apiRequests(responses), ['/api/mizan/fn/update_name', '/api/mizan/batch/']);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page did not reload');
    assert.equal(await page.evaluate(() => window.__fallbackShown), false, 'the old profile stayed on screen');
    assert.equal((await page.getByTestId('error-message').textContent()).trim(), '');
    assert.deepEqual(unexpectedProblems(problems), []);
  });
});

test("renaming someone else shows FORBIDDEN and refreshes nothing", async () => {
  await onAlicePage('/users/2', async ({ page, problems, responses }) => {
    await page.getByTestId('rename-input').fill('Mallory');
    await page.getByTestId('rename-submit').click();
    await waitForText(page, 'error-message', 'FORBIDDEN');
    await page.waitForLoadState('networkidle');
    assert.equal(await page.getByTestId('profile-name').textContent(), 'Admin');
    assert.deepEqual(apiRequests(responses), ['/api/mizan/fn/update_name']);
    assert.deepEqual(unexpectedProblems(problems, 403), []);
  });
});

test('following a link to another profile fetches that instance', async () => {
  await onAlicePage('/users/1', async ({ page, problems, responses }) => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await waitForText(page, 'profile-name', 'Admin');
    assert.equal(new URL(page.url()).pathname, '/users/2');
    assert.deepEqual(apiRequests(responses), ['/api/mizan/batch/']);
    assert.deepEqual(unexpectedProblems(problems), []);
  });
});
