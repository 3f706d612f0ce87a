// The home page, end to end: server-rendered HTML, hydration, a client click, a server function.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  baseUrl,
  onHydratedPage,
  unexpectedProblems,
  useBrowser,
  useServer,
  waitForText,
} from './browser.js';

const browser = useBrowser();
useServer();

test('the server-rendered HTML already holds the page content', async () => {
  const response = await fetch(`${baseUrl}/`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
  const html = await response.text();
  assert.match(html, /<h1>mizan for Leptos<\/h1>/);
  assert.match(html, /Clicked 0 times/);
  assert.match(html, /data-hydrated="false"/);
  assert.match(html, /\/pkg\/mizan\.js/);
});

test('the page hydrates, reacts to clicks and shows a server function result', async () => {
  await onHydratedPage(browser(), '/', async ({ page, problems, responses }) => {
    const wasm = responses.find((r) => r.url().endsWith('.wasm'));
    assert.ok(wasm, 'the wasm bundle was requested');
    assert.equal(wasm.status(), 200);
    assert.equal(wasm.headers()['content-type'], 'application/wasm');

    await page.getByTestId('counter').click();
    await waitForText(page, 'counter', 'Clicked 1 time');
    await page.getByTestId('counter').click();
    await waitForText(page, 'counter', 'Clicked 2 times');

    await page.getByTestId('greet-name').fill('Ada');
    const call = page.waitForResponse((r) => r.url().endsWith('/api/greet'));
    await page.getByTestId('greet-submit').click();
    assert.equal((await call).status(), 200);
    await waitForText(page, 'greet-result', 'Hello, Ada!');
    // Each test has its own database: this is the first greeting it ever recorded.
    assert.match(await page.getByTestId('greet-result').textContent(), /\(1 greeting so far\)/);

    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  });
});

test('a blank name shows the server function error without breaking the page', async () => {
  await onHydratedPage(browser(), '/', async ({ page, problems }) => {
    await page.getByTestId('greet-name').fill('   ');
    await page.getByTestId('greet-submit').click();
    await waitForText(page, 'greet-result', 'name must be 1 to 100 characters');
    // The 400 is the expected answer here; anything else is a problem.
    assert.deepEqual(unexpectedProblems(problems, 400), []);
    await page.getByTestId('counter').click();
    await waitForText(page, 'counter', 'Clicked 1 time');
  });
});

test('an unknown address answers 404 with a rendered page', async () => {
  const response = await fetch(`${baseUrl}/no/such/page`);
  assert.equal(response.status, 404);
  assert.match(await response.text(), /Not found/);
});
