// Forms end to end in Leptos: the rules run in the browser (an invalid field is shown and no
// request is made), a valid submission is stored and says so, and an error only the server can
// know appears under its field.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  baseUrl,
  newWatchedPage,
  onHydratedPage,
  unexpectedProblems,
  useBrowser,
  useServer,
  waitForText,
} from './browser.js';

const browser = useBrowser();
useServer();

/** The form submissions a page made. */
const submissions = (responses, form) =>
  responses.filter((response) => new URL(response.url()).pathname === `/api/mizan/form/${form}`);

test('the contact form shows a bad email under its field without a request, then stores a valid message', async () => {
  await onHydratedPage(browser(), '/contact', async ({ page, problems, responses }) => {
    await page.getByTestId('contact-name').fill('Zoë');
    await page.getByTestId('contact-email').fill('not-an-email');
    await page.getByTestId('contact-topic').selectOption('billing');
    await page.getByTestId('contact-message').fill('Hello from the browser ✉');
    await page.getByTestId('contact-submit').click();
    await waitForText(page, 'field-error-email', 'must be an email address');
    await page.waitForTimeout(300);
    assert.deepEqual(submissions(responses, 'contact'), [], 'an invalid form makes no request');
    assert.equal(await page.getByTestId('field-error-name').textContent(), '');

    await page.getByTestId('contact-email').fill('zoe+site@example.com');
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/mizan/form/contact');
    await page.getByTestId('contact-submit').click();
    const response = await answered;
    assert.equal(response.status(), 200);
    const body = await response.json();
    assert.equal(body.result.id, 1, 'the stored row');
    assert.deepEqual(response.request().postDataJSON(), {
      args: {
        name: 'Zoë',
        email: 'zoe+site@example.com',
        topic: 'billing',
        message: 'Hello from the browser ✉',
      },
    });
    await waitForText(page, 'contact-success', 'your message was sent');
    assert.equal(await page.getByTestId('field-error-email').textContent(), '');
    assert.deepEqual(unexpectedProblems(problems), []);
  });
});

test('live validation shows a field’s rule once the field is left, and clears it when fixed', async () => {
  await onHydratedPage(browser(), '/contact', async ({ page, responses }) => {
    await page.getByTestId('contact-name').fill('Ann');
    await page.getByTestId('contact-name').fill('');
    await page.getByTestId('contact-email').focus();
    await waitForText(page, 'field-error-name', 'must be 1 to 100 characters');
    assert.equal(await page.getByTestId('field-error-email').textContent(), '', 'not left yet');
    await page.getByTestId('contact-name').fill('Ann');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="field-error-name"]').textContent === '',
    );
    // The email field was visited and left empty on the way back.
    await waitForText(page, 'field-error-email', 'must be an email address');
    assert.deepEqual(submissions(responses, 'contact'), []);
  });
});

test('sign-up shows the server’s “already registered” under the email field', async () => {
  await onHydratedPage(browser(), '/signup', async ({ page, problems }) => {
    await page.getByTestId('sign_up-name').fill('Al');
    await page.getByTestId('sign_up-email').fill('alice@example.com');
    await page.getByTestId('sign_up-password').fill('long enough');
    await page.getByTestId('sign_up-submit').click();
    await waitForText(page, 'field-error-email', 'is already registered');
    assert.deepEqual(unexpectedProblems(problems, 422), []);

    await page.getByTestId('sign_up-email').fill('new.person@example.com');
    await page.getByTestId('sign_up-submit').click();
    await waitForText(page, 'sign_up-success', 'you are signed in');
    await waitForText(page, 'current-user', 'Signed in as Al');
  });
});

test('with JavaScript off the Leptos form still submits: server errors with the values kept, then success', async () => {
  const context = await browser().newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(`${baseUrl}/contact`);
    await page.getByTestId('contact-name').fill('Ann Lee');
    await page.getByTestId('contact-email').fill('not-an-email');
    await page.getByTestId('contact-topic').selectOption('feedback');
    await page.getByTestId('contact-message').fill('Sent </textarea> without scripts');
    await Promise.all([page.waitForURL(`${baseUrl}/contact`), page.getByTestId('contact-submit').click()]);
    assert.equal((await page.getByTestId('field-error-email').textContent()).trim(), 'must be an email address');
    assert.equal(await page.getByTestId('contact-name').inputValue(), 'Ann Lee');
    assert.equal(await page.getByTestId('contact-topic').inputValue(), 'feedback');
    assert.equal(await page.getByTestId('contact-message').inputValue(), 'Sent </textarea> without scripts');

    await page.getByTestId('contact-email').fill('ann@example.com');
    await Promise.all([page.waitForURL(`${baseUrl}/contact`), page.getByTestId('contact-submit').click()]);
    assert.match(await page.getByTestId('contact-success').textContent(), /your message was sent/);

    // It was stored: the next message is the second.
    const next = await context.request.post(`${baseUrl}/api/mizan/call/`, {
      data: { fn: 'contact', args: { name: 'Bo', email: 'bo@example.com', topic: 'general', message: 'x' } },
    });
    assert.equal((await next.json()).result.id, 2);

    await page.goto(`${baseUrl}/signup`);
    await page.getByTestId('sign_up-name').fill('Al');
    await page.getByTestId('sign_up-email').fill('alice@example.com');
    await page.getByTestId('sign_up-password').fill('long enough');
    await Promise.all([page.waitForURL(`${baseUrl}/signup`), page.getByTestId('sign_up-submit').click()]);
    assert.equal((await page.getByTestId('field-error-email').textContent()).trim(), 'is already registered');
    assert.equal(await page.getByTestId('sign_up-password').inputValue(), '', 'a password is never sent back');
  } finally {
    await context.close();
  }
});

test('the React app’s contact form runs the same rules before any request and shows the server’s answer', async () => {
  const { context, page, problems, responses } = await newWatchedPage(browser());
  try {
    await page.goto(`${baseUrl}/react/contact`);
    await page.getByTestId('contact-submit').waitFor();
    await page.getByTestId('contact-name').fill('Zoë 😀');
    await page.getByTestId('contact-email').fill('not-an-email');
    await page.getByTestId('contact-message').fill('x'.repeat(2001));
    await page.getByTestId('contact-submit').click();
    await waitForText(page, 'field-error-email', 'must be an email address');
    await waitForText(page, 'field-error-message', 'must be 1 to 2000 characters');
    assert.equal(await page.getByTestId('field-error-name').textContent(), '', 'an emoji is one character');
    await page.getByTestId('contact-email').fill('zoe+site@bücher');
    await page.getByTestId('contact-submit').click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="field-error-email"]').textContent === '',
    );
    await page.waitForTimeout(300);
    const calls = () => responses.filter((r) => new URL(r.url()).pathname === '/api/mizan/call/');
    assert.deepEqual(calls(), [], 'an invalid form makes no request');
    assert.equal(await page.getByTestId('field-error-email').textContent(), '', 'an IDN address is an address');

    await page.getByTestId('contact-message').fill('Hello from React');
    await page.getByTestId('contact-topic').selectOption('feedback');
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/mizan/call/');
    await page.getByTestId('contact-submit').click();
    const response = await answered;
    assert.equal(response.status(), 200);
    assert.equal((await response.json()).result.id, 1);
    assert.deepEqual(response.request().postDataJSON(), {
      fn: 'contact',
      // Chromium's email input hands an internationalized domain over in its ASCII form.
      args: { name: 'Zoë 😀', email: 'zoe+site@xn--bcher-kva', topic: 'feedback', message: 'Hello from React' },
    });
    await waitForText(page, 'contact-success', 'your message was sent');
    assert.deepEqual(unexpectedProblems(problems), []);
  } finally {
    await context.close();
  }
});

test('the React app’s sign-up shows the server’s “already registered” under the email field', async () => {
  const { context, page, problems } = await newWatchedPage(browser());
  try {
    await page.goto(`${baseUrl}/react/signup`);
    await page.getByTestId('sign_up-submit').waitFor();
    await page.getByTestId('sign_up-name').fill('Al');
    await page.getByTestId('sign_up-email').fill('alice@example.com');
    await page.getByTestId('sign_up-password').fill('long enough');
    await page.getByTestId('sign_up-submit').click();
    await waitForText(page, 'field-error-email', 'is already registered');
    assert.equal(await page.getByTestId('sign_up-success').count(), 0);
    assert.deepEqual(unexpectedProblems(problems, 422), []);
  } finally {
    await context.close();
  }
});
