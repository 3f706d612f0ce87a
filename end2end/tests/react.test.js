// The React app (examples/react-app, built by Vite, served by the Rust server at /react/): the
// same #[client] functions as the Leptos pages through the generated hooks, its first render
// from the contexts the server put in the page, and the server's invalidations refreshing
// exactly what they cover.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  baseUrl,
  newWatchedPage,
  signIn,
  unexpectedProblems,
  useBrowser,
  useServer,
  waitForText,
} from './browser.js';

const browser = useBrowser();
useServer();

/**
 * Opens `/react/<path>` on a watched page (signed in as alice first when `signedIn`), waits for
 * the header, runs `body`, and always closes the page's context.
 */
async function onReactPage(path, body, { signedIn = false } = {}) {
  const watched = await newWatchedPage(browser());
  try {
    if (signedIn) await signIn(watched.context, 'alice@example.com', 'alice-password');
    await watched.page.goto(`${baseUrl}/react/${path}`);
    await watched.page.getByTestId('current-user').filter({ hasText: /Signed in|Not signed in/ }).waitFor();
    await body(watched);
  } finally {
    await watched.context.close();
  }
}

/** The mizan requests among `responses`, as `path fn-names`. */
function mizanCalls(responses) {
  return responses
    .filter((r) => r.url().includes('/api/'))
    .map((r) => {
      const body = r.request().postDataJSON();
      const names = body?.calls ? body.calls.map((c) => c.fn).sort().join('+') : body?.fn;
      return `${new URL(r.url()).pathname} ${names}`;
    });
}

test('the first render shows the signed-in user from the page, with no request', async () => {
  await onReactPage(
    'users/1',
    async ({ page, problems, responses }) => {
      assert.match(await page.getByTestId('current-user').textContent(), /Signed in as Alice/);
      await waitForText(page, 'profile-name', 'Alice');
      await page.waitForTimeout(300);
      // The profile (a local context) is fetched; the header's global context came with the page.
      assert.deepEqual(mizanCalls(responses), ['/api/mizan/call/ user_profile']);
      assert.deepEqual(unexpectedProblems(problems), []);
    },
    { signedIn: true },
  );
  // Signed in, the home page (global contexts only) makes no /api/ request at all: the header
  // shows alice from the hydration block.
  await onReactPage(
    '',
    async ({ page, responses }) => {
      await waitForText(page, 'site-stats', 'accounts');
      assert.match(await page.getByTestId('current-user').textContent(), /Signed in as Alice/);
      await page.waitForTimeout(300);
      assert.deepEqual(mizanCalls(responses), [], 'no /api/ request');
    },
    { signedIn: true },
  );
  await onReactPage('', async ({ page, responses }) => {
    await waitForText(page, 'site-stats', 'accounts');
    assert.match(await page.getByTestId('current-user').textContent(), /Not signed in/);
    await page.waitForTimeout(300);
    assert.deepEqual(mizanCalls(responses), [], 'anonymous, the same');
  });
});

test('renaming user 1 as alice refreshes profile and header: the mutation, then one batch', async () => {
  await onReactPage(
    'users/1',
    async ({ page, problems, responses }) => {
      await waitForText(page, 'profile-name', 'Alice');
      responses.length = 0;
      await page.getByTestId('rename-input').fill('Alicia');
      await page.getByTestId('rename-submit').click();
      await waitForText(page, 'profile-name', 'Alicia');
      await waitForText(page, 'current-user', 'Signed in as Alicia');
      await page.waitForTimeout(300);
      assert.deepEqual(mizanCalls(responses), [
        '/api/mizan/call/ update_name',
        '/api/mizan/batch/ current_user+user_profile',
      ]);
      assert.equal(await page.getByTestId('error-message').textContent(), '');
      assert.deepEqual(unexpectedProblems(problems), []);
    },
    { signedIn: true },
  );
});

test('renaming user 2 as alice shows FORBIDDEN, once, and changes nothing', async () => {
  await onReactPage(
    'users/2',
    async ({ page, problems, responses }) => {
      await waitForText(page, 'profile-name', 'Admin');
      responses.length = 0;
      await page.getByTestId('rename-input').fill('Mallory');
      await page.getByTestId('rename-submit').click();
      await waitForText(page, 'error-message', 'FORBIDDEN');
      await page.waitForTimeout(300);
      assert.deepEqual(mizanCalls(responses), ['/api/mizan/call/ update_name'], 'not retried');
      assert.equal(await page.getByTestId('profile-name').textContent(), 'Admin');
      assert.deepEqual(unexpectedProblems(problems, 403), []);
    },
    { signedIn: true },
  );
});

test('echo, a validation failure with its field message, sign-in and sign-out', async () => {
  await onReactPage('', async ({ page, problems }) => {
    await page.getByTestId('echo-input').fill('hello from React');
    await page.getByTestId('echo-submit').click();
    await waitForText(page, 'echo-result', 'hello from React');

    await page.getByTestId('echo-input').fill('x'.repeat(201));
    await page.getByTestId('echo-submit').click();
    await waitForText(page, 'error-message', 'text must be at most 200 characters');
    assert.equal(await page.getByTestId('echo-result').textContent(), '');

    await page.getByTestId('login-email').fill('alice@example.com');
    await page.getByTestId('login-password').fill('alice-password');
    await page.getByTestId('login-submit').click();
    // `login` affects `current_user`: the header refreshes from the response's keys.
    await waitForText(page, 'current-user', 'Signed in as Alice');

    await page.getByTestId('logout-submit').click();
    await waitForText(page, 'current-user', 'Not signed in');
    assert.deepEqual(unexpectedProblems(problems, 422), []);
  });
});
