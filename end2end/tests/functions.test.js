// #[client] functions end to end: the Leptos page calling them over their own endpoints, typed
// errors shown to the user, sign-in by session, the view path, and the generic call endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  baseUrl,
  onHydratedPage,
  unexpectedProblems,
  useBrowser,
  useServer,
  waitForHydration,
  waitForText,
} from './browser.js';

const browser = useBrowser();
// The panic demo is off by default; this file checks that a panic leaves the server serving.
useServer({ MIZAN_DEMO_PANIC: '1' });

async function call(fn, args, headers = {}) {
  const response = await fetch(`${baseUrl}/api/mizan/call/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ fn, args }),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

test('echo, a #[client(websocket)] function, goes over the tab’s socket once it is open', async () => {
  const frames = [];
  let hellos = 0;
  let hello;
  const said = new Promise((done) => {
    hello = done;
  });
  const listen = ({ page }) =>
    page.on('websocket', (socket) => {
      socket.on('framesent', (frame) => frames.push(JSON.parse(frame.payload)));
      socket.on('framereceived', (frame) => {
        if (JSON.parse(frame.payload).type === 'hello') {
          hellos += 1;
          hello();
        }
      });
    });
  await onHydratedPage(
    browser(),
    '/',
    async ({ page, problems, responses }) => {
      await said;
      await page.getByTestId('echo-input').fill('hello mizan');
      await page.getByTestId('echo-submit').click();
      await waitForText(page, 'echo-result', 'hello mizan');
      // The page offers the desktop app's file dialog only inside mizan-desktop.
      assert.equal(await page.getByTestId('echo-file').isVisible(), false, 'no "Echo a file…" in a browser');
      assert.ok(
        frames.some((f) => f.action === 'rpc' && f.fn === 'echo' && f.args.text === 'hello mizan'),
        `an rpc frame: ${JSON.stringify(frames)}`,
      );
      assert.deepEqual(
        responses.filter((r) => r.url().includes('/api/mizan/fn/echo')).map((r) => r.url()),
        [],
        'not over HTTP',
      );
      assert.deepEqual(problems, []);

      // Larger than one socket message (64 KiB, which would close the socket): over HTTP, where
      // the function's own rule answers.
      await page.getByTestId('echo-input').fill('x'.repeat(70_000));
      await page.getByTestId('echo-submit').click();
      await waitForText(page, 'error-message', 'VALIDATION_ERROR');
      assert.deepEqual(
        responses.filter((r) => r.url().includes('/api/mizan/fn/echo')).map((r) => r.status()),
        [422],
        'the large call went over HTTP',
      );
      assert.ok(!frames.some((f) => f.action === 'rpc' && (f.args?.text?.length ?? 0) > 200), 'no large frame');
      assert.equal(hellos, 1, 'the socket stayed open');
      assert.deepEqual(unexpectedProblems(problems, 422), []);
    },
    { before: listen },
  );
});

test('typed errors reach the page: validation and unauthorized', async () => {
  await onHydratedPage(browser(), '/', async ({ page, problems }) => {
    await page.getByTestId('echo-input').fill('x'.repeat(201));
    await page.getByTestId('echo-submit').click();
    await waitForText(page, 'error-message', 'VALIDATION_ERROR');
    await page.getByTestId('whoami-submit').click();
    await waitForText(page, 'error-message', 'UNAUTHORIZED: sign in to do this');
    assert.deepEqual(unexpectedProblems(problems, 401, 422), []);
  });
});

test('a dead connection is a NETWORK_ERROR, not a server INTERNAL_ERROR', async () => {
  await onHydratedPage(browser(), '/', async ({ context, page, problems }) => {
    // `whoami` goes over HTTP (it is no websocket function): offline, no answer comes.
    await context.setOffline(true);
    await page.getByTestId('whoami-submit').click();
    await waitForText(page, 'error-message', 'NETWORK_ERROR: the server could not be reached');
    await context.setOffline(false);
    await page.getByTestId('whoami-submit').click();
    // Back online the call reaches the server, which answers for itself.
    await waitForText(page, 'error-message', 'UNAUTHORIZED');
    // The browser reports the offline request itself as failed; nothing else went wrong.
    assert.deepEqual(
      unexpectedProblems(
        problems.filter((p) => !p.includes('ERR_INTERNET_DISCONNECTED') && !p.includes('Failed to fetch')),
        401,
      ),
      [],
    );
  });
});

test('signing in sets a session the next calls use; the view path signs out', async () => {
  await onHydratedPage(browser(), '/', async ({ context, page, problems, settled }) => {
    await page.getByTestId('login-email').fill('alice@example.com');
    await page.getByTestId('login-password').fill('alice-password');
    await page.getByTestId('login-submit').click();
    // `login` affects `current_user`: this card and the header follow without a reload.
    await waitForText(page, 'whoami', 'Signed in as alice@example.com');
    await waitForText(page, 'current-user', 'Signed in as Alice');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'mizan_session');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true);

    // After a reload both read the same context, rendered on the server: they agree. (The sign-in
    // reopened the tab's socket, which refetches what is live: let that finish first.)
    await settled();
    await page.reload();
    await waitForHydration(page);
    assert.equal(await page.getByTestId('whoami').textContent(), 'Signed in as alice@example.com');
    assert.match(await page.getByTestId('current-user').textContent(), /Signed in as Alice/);
    await page.getByTestId('whoami-submit').click();
    await waitForText(page, 'whoami-result', 'whoami answered alice@example.com');

    // A plain HTML form posting to the view function: redirected home, signed out.
    await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByTestId('logout-submit').click()]);
    await waitForHydration(page);
    await waitForText(page, 'current-user', 'Not signed in');
    assert.equal(await page.getByTestId('whoami').textContent(), 'Not signed in');
    await page.getByTestId('whoami-submit').click();
    await waitForText(page, 'error-message', 'UNAUTHORIZED');
    assert.deepEqual(unexpectedProblems(problems, 401), []);
  });
});

test('the generic call endpoint: envelope, not found, panic isolation, cross-site refusal', async () => {
  const echo = await call('echo', { text: 'via /call/' });
  assert.equal(echo.status, 200);
  assert.deepEqual(echo.body, { result: { message: 'via /call/' }, invalidate: [] });

  const missing = await call('no_such_function', {});
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'NOT_FOUND');

  const crash = await call('crash_test', {});
  assert.equal(crash.status, 500);
  assert.deepEqual(crash.body.error, { code: 'INTERNAL_ERROR', message: 'internal server error', details: null });
  assert.equal((await call('echo', { text: 'still serving' })).status, 200);

  const crossSite = await call('echo', { text: 'x' }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
  assert.equal(crossSite.status, 403);
  assert.equal(crossSite.body.error.code, 'FORBIDDEN');
});

test('the view path answers with its own response and mizan headers', async () => {
  const response = await fetch(`${baseUrl}/api/mizan/fn/logout_redirect`, { method: 'POST', redirect: 'manual' });
  assert.equal(response.status, 303);
  assert.equal(response.headers.get('location'), '/');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(response.headers.get('x-mizan-invalidate'), '["current_user"]');
});
