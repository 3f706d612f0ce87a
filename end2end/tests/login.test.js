// The example's log-in and password pages end to end, with and without JavaScript: a right
// log-in lands on the form's redirect (`/`) signed in, a wrong one stays with one message for the
// form; a confirmation that does not match is refused under its field (in the browser before any
// request, by the server without JavaScript), and a matching change lets the user log in anew.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  baseUrl,
  onHydratedPage,
  signIn,
  unexpectedProblems,
  useBrowser,
  useServer,
  waitForHydration,
  waitForText,
} from './browser.js';

const browser = useBrowser();
useServer();

const NEW_PASSWORD = 'a brand new password';

/** The form submissions a page made. */
const submissions = (responses, form) =>
  responses.filter((response) => new URL(response.url()).pathname === `/api/mizan/form/${form}`);

/**
 * `problems` less what leaving a page on purpose causes: the requests it still had going (the
 * refetch of `current_user` that signing in asked for) are aborted by the redirect's new page.
 */
const settled = (problems, ...statuses) =>
  unexpectedProblems(problems, ...statuses).filter((problem) => !problem.includes('net::ERR_ABORTED'));

/** Waits until the element with `testId` holds `text`, with or without JavaScript in the page. */
const shows = (page, testId, text) => page.getByTestId(testId).filter({ hasText: text }).first().waitFor();

/** Who a browser context's session is, through `whoami` (`undefined`: nobody). */
async function signedInAs(context) {
  const reply = await context.request.post(`${baseUrl}/api/mizan/call/`, { data: { fn: 'whoami', args: {} } });
  return reply.status() === 200 ? (await reply.json()).result.email : undefined;
}

/** Whether `login` takes this password for alice: a request of its own, outside any browser. */
async function passwordWorks(password) {
  const reply = await fetch(`${baseUrl}/api/mizan/call/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fn: 'login', args: { email: 'alice@example.com', password } }),
  });
  return reply.status === 200;
}

test('with JavaScript a wrong password stays on /login with one message, a right one lands on / signed in', async () => {
  await onHydratedPage(browser(), '/login', async ({ page, problems, responses }) => {
    await page.getByTestId('log_in-email').fill('alice@example.com');
    await page.getByTestId('log_in-password').fill('not-her-password');
    await page.getByTestId('log_in-submit').click();
    await waitForText(page, 'log_in-error', 'wrong email or password');
    assert.equal(new URL(page.url()).pathname, '/login', 'it stays');
    assert.equal(await page.getByTestId('field-error-email').textContent(), '', 'under no field');
    assert.equal(await page.getByTestId('field-error-password').textContent(), '');
    await waitForText(page, 'current-user', 'Not signed in');
    assert.deepEqual(
      submissions(responses, 'log_in').map((response) => response.status()),
      [401],
      'sent by the hydrated form, not posted as a page',
    );

    await page.getByTestId('log_in-password').fill('alice-password');
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/mizan/form/log_in');
    await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByTestId('log_in-submit').click()]);
    const response = await answered;
    assert.equal(response.status(), 200, 'the hydrated form sent it itself');
    assert.deepEqual(response.request().postDataJSON(), {
      args: { email: 'alice@example.com', password: 'alice-password' },
    });
    await waitForHydration(page);
    await waitForText(page, 'current-user', 'Signed in as Alice');
    assert.deepEqual(settled(problems, 401), []);
  });
});

test('without JavaScript a wrong password comes back to /login with the email kept, a right one lands on / signed in', async () => {
  const context = await browser().newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(`${baseUrl}/login`);
    await page.getByTestId('log_in-email').fill('alice@example.com');
    await page.getByTestId('log_in-password').fill('not-her-password');
    await Promise.all([page.waitForURL(`${baseUrl}/login`), page.getByTestId('log_in-submit').click()]);
    await shows(page, 'log_in-error', 'wrong email or password');
    assert.equal(await page.getByTestId('log_in-email').inputValue(), 'alice@example.com');
    assert.equal(await page.getByTestId('log_in-password').inputValue(), '', 'a password is never sent back');
    assert.equal(await signedInAs(context), undefined);

    await page.getByTestId('log_in-password').fill('alice-password');
    await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByTestId('log_in-submit').click()]);
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await signedInAs(context), 'alice@example.com');
  } finally {
    await context.close();
  }
});

test('with JavaScript a confirmation that does not match is refused without a request, then the new password logs in', async () => {
  await onHydratedPage(
    browser(),
    '/password',
    async ({ page, problems, responses }) => {
      await page.getByTestId('change_password-password').fill(NEW_PASSWORD);
      await page.getByTestId('change_password-confirmation').fill(`${NEW_PASSWORD}!`);
      await page.getByTestId('change_password-submit').click();
      await waitForText(page, 'field-error-confirmation', 'does not match the new password');
      await page.waitForTimeout(300);
      assert.deepEqual(submissions(responses, 'change_password'), [], 'an invalid form makes no request');
      assert.equal(await page.getByTestId('field-error-password').textContent(), '');

      await page.getByTestId('change_password-confirmation').fill(NEW_PASSWORD);
      await page.getByTestId('change_password-submit').click();
      await waitForText(page, 'change_password-success', 'Your password was changed.');
      assert.equal(await page.getByTestId('field-error-confirmation').textContent(), '');
      assert.deepEqual(settled(problems), []);
    },
    { before: ({ context }) => signIn(context, 'alice@example.com', 'alice-password') },
  );

  // A new visitor logs in with the new password, through the form.
  await onHydratedPage(browser(), '/login', async ({ page, problems }) => {
    assert.equal(await passwordWorks('alice-password'), false, 'the old password is gone');
    await page.getByTestId('log_in-email').fill('alice@example.com');
    await page.getByTestId('log_in-password').fill(NEW_PASSWORD);
    await Promise.all([page.waitForURL(`${baseUrl}/`), page.getByTestId('log_in-submit').click()]);
    await waitForHydration(page);
    await waitForText(page, 'current-user', 'Signed in as Alice');
    assert.deepEqual(settled(problems, 401), []);
  });
});

test('without JavaScript the server refuses a confirmation that does not match under its field, then takes a matching one', async () => {
  const context = await browser().newContext({ javaScriptEnabled: false });
  try {
    await signIn(context, 'alice@example.com', 'alice-password');
    const page = await context.newPage();
    await page.goto(`${baseUrl}/password`);
    await page.getByTestId('change_password-password').fill(NEW_PASSWORD);
    await page.getByTestId('change_password-confirmation').fill(`${NEW_PASSWORD}!`);
    await Promise.all([page.waitForURL(`${baseUrl}/password`), page.getByTestId('change_password-submit').click()]);
    await shows(page, 'field-error-confirmation', 'does not match the new password');
    assert.equal(
      (await page.getByTestId('field-error-confirmation').textContent()).trim(),
      'does not match the new password',
    );
    assert.equal(await page.getByTestId('change_password-password').inputValue(), '', 'never sent back');
    assert.equal(await passwordWorks('alice-password'), true, 'nothing changed');

    await page.getByTestId('change_password-password').fill(NEW_PASSWORD);
    await page.getByTestId('change_password-confirmation').fill(NEW_PASSWORD);
    await Promise.all([page.waitForURL(`${baseUrl}/password`), page.getByTestId('change_password-submit').click()]);
    await shows(page, 'change_password-success', 'Your password was changed.');
    assert.equal(await passwordWorks('alice-password'), false);
    assert.equal(await passwordWorks(NEW_PASSWORD), true, 'the new password logs in');
  } finally {
    await context.close();
  }
});
