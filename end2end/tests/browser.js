// Shared set-up for the end-to-end tests: the server's address and a Chromium page that records
// every console error, page error, failed request and error response it sees.
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const baseUrl = process.env.MIZAN_BASE_URL ?? 'http://127.0.0.1:3000';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser() {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Launches one browser for the calling test file; returns a getter for it. */
export function useBrowser() {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  return () => browser;
}

/** Opens a page that collects problems into `problems` (strings) and responses into `responses`. */
export async function newWatchedPage(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  const responses = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`),
  );
  page.on('response', (response) => {
    responses.push(response);
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return { context, page, problems, responses };
}

/**
 * Opens a watched page at `path`, waits for hydration, runs `body` with what `newWatchedPage`
 * returns, and always closes the page's context. `before(watched)` runs ahead of the visit (to
 * sign in, say).
 */
export async function onHydratedPage(browser, path, body, { before } = {}) {
  const watched = await newWatchedPage(browser);
  try {
    await before?.(watched);
    await watched.page.goto(`${baseUrl}${path}`);
    await waitForHydration(watched.page);
    await body(watched);
  } finally {
    await watched.context.close();
  }
}

/** Waits until the element with `testId` shows text containing `expected`. */
export async function waitForText(page, testId, expected, timeout = 10_000) {
  await page.waitForFunction(
    ([id, text]) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.includes(text),
    [testId, expected],
    { timeout },
  );
}

/** Waits until the wasm bundle has hydrated the page (the app flips `data-hydrated`). */
export async function waitForHydration(page, timeout = 15_000) {
  await page.waitForSelector('main[data-hydrated="true"]', { timeout });
}

/** `problems` without the error statuses a test provokes on purpose (e.g. 401, 422). */
export function unexpectedProblems(problems, ...statuses) {
  return problems.filter(
    (p) => !statuses.some((s) => p.startsWith(`HTTP ${s}`) || p.includes(`status of ${s}`)),
  );
}
