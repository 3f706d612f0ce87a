// The getting-started guide's app (examples/todo), end to end: an app of one's own on mizan,
// server-rendered, hydrated, its context refreshed by the mutations that affect it.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  TODO_APP,
  baseUrl,
  onHydratedPage,
  unexpectedProblems,
  useBrowser,
  useServer,
  waitForText,
} from './browser.js';

const browser = useBrowser();
useServer({}, TODO_APP);

/** A gate a held request waits on until `release()`. */
function hold() {
  let release = () => {};
  const held = new Promise((resolve) => {
    release = resolve;
  });
  return { held, release };
}

/** The titles the page lists, in order. */
async function listed(page) {
  return page.getByTestId('todo-item').locator('span').allTextContents();
}

test('the guide app renders its list on the server with its own bundle', async () => {
  const response = await fetch(`${baseUrl}/`);
  assert.equal(response.status, 200);
  const html = await response.text();
  assert.match(html, /<h1>Todo<\/h1>/);
  assert.match(html, /data-testid="todo-list"/);
  assert.match(html, /\/pkg\/todo\.js/, 'the bundle is named after the app, not the example');
  assert.match(html, /data-hydrated="false"/);
});

test('adding and removing todos refreshes the list; a bad title is refused', async () => {
  await onHydratedPage(browser(), '/', async ({ page, problems, responses }) => {
    assert.deepEqual(await listed(page), [], 'a fresh database has no todos');

    await page.getByTestId('todo-title').fill('Buy milk');
    await page.getByTestId('todo-add').click();
    await page.getByTestId('todo-item').first().waitFor();
    assert.deepEqual(await listed(page), ['Buy milk']);
    // The todo shows before the answer (an optimistic patch); the form clears once it is stored.
    await page.waitForFunction(() => document.querySelector('[data-testid="todo-title"]').value === '');

    await page.getByTestId('todo-title').fill('Water plants');
    await page.getByTestId('todo-add').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="todo-item"]').length === 2);
    assert.deepEqual(await listed(page), ['Buy milk', 'Water plants']);

    // The rule's own text reaches the page; a title of spaces alone is refused too. Once the
    // error shows, the call has been answered: what the server stores is settled.
    await page.getByTestId('todo-title').fill('');
    await page.getByTestId('todo-add').click();
    await waitForText(page, 'todo-error', '`title` must be 1 to 100 characters');
    await page.getByTestId('todo-title').fill('   ');
    await page.getByTestId('todo-add').click();
    await waitForText(page, 'todo-error', '`title` must not be blank');
    assert.deepEqual(await listed(page), ['Buy milk', 'Water plants']);
    const stored = await (await fetch(`${baseUrl}/`)).text();
    assert.equal(stored.match(/data-testid="todo-item"/g)?.length, 2, 'nothing more was stored');

    await page.getByTestId('todo-item').first().getByRole('button').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="todo-item"]').length === 1);
    assert.deepEqual(await listed(page), ['Water plants']);

    const calls = responses.filter((r) => r.url().includes('/api/mizan/'));
    assert.ok(calls.length >= 4, `the mutations and refetches went to mizan: ${calls.map((r) => r.url())}`);
    assert.deepEqual(unexpectedProblems(problems, 422), []);
  });

  // Another visitor's page, rendered on the server, shows what is stored.
  const html = await (await fetch(`${baseUrl}/`)).text();
  assert.match(html, /Water plants/);
  assert.doesNotMatch(html, /Buy milk/);
});

test('a todo shows the moment it is added and goes the moment it is done, before the server answers', async () => {
  await onHydratedPage(browser(), '/', async ({ page, problems, responses }) => {
    // Every add and remove waits until the test lets it through.
    let gate = hold();
    await page.route(/\/api\/mizan\/fn\/(add|remove)_todo$/, async (route) => {
      await gate.held;
      await route.continue();
    });
    const title = `Call ${Date.now() % 100_000}`;
    const before = await listed(page);
    await page.getByTestId('todo-title').fill(title);
    await page.getByTestId('todo-add').click();
    await waitForText(page, 'todo-list', title, 2_000);
    assert.deepEqual(await listed(page), [...before, title]);
    // Not stored yet: no id, so it cannot be marked done.
    const item = page.getByTestId('todo-item').filter({ hasText: title });
    assert.equal(await item.getByRole('button').isDisabled(), true);
    assert.equal(responses.filter((r) => r.url().includes('_todo')).length, 0, 'nothing answered yet');

    gate.release();
    await page.waitForFunction(() => document.querySelector('[data-testid="todo-title"]').value === '');
    await item.getByRole('button').and(page.locator(':enabled')).waitFor();
    assert.deepEqual(await listed(page), [...before, title], 'the stored list, with the real id');

    gate = hold();
    await item.getByRole('button').click();
    await page.waitForFunction(
      (gone) => ![...document.querySelectorAll('[data-testid="todo-item"] span')].some((s) => s.textContent === gone),
      title,
      { timeout: 2_000 },
    );
    assert.deepEqual(await listed(page), before);
    assert.equal(responses.filter((r) => r.url().endsWith('/remove_todo')).length, 0, 'not answered yet');
    const removed = page.waitForResponse((r) => r.url().endsWith('/remove_todo'));
    gate.release();
    await removed;
    await page.waitForTimeout(300);
    assert.deepEqual(await listed(page), before);
    assert.deepEqual(unexpectedProblems(problems), []);
  });
});
