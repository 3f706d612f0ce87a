// Shared set-up for the end-to-end tests: a release server of their own for every test (a fresh
// SQLite file, a free port it reports itself), and a Chromium page that records every console
// error, page error, failed request and error response it sees.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { afterEach, after, before, beforeEach } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The running test's server, `http://127.0.0.1:<port>` (set before each test). */
export let baseUrl;

/** The running test's server process. */
let server;

/**
 * Stops the running test's server, waits `downtime` ms (running `during` meanwhile), and starts
 * it again on the same address with the same database: what a deploy does to open pages.
 */
export async function restartServer(downtime = 1000, during = undefined) {
  await server.restart(downtime, during);
}

/**
 * Gives every test of the calling file its own release server: a fresh database (so no test
 * sees another's data), port 0 (the server reports the port it got), stopped after the test.
 * `env` adds variables (e.g. `MIZAN_DEMO_PANIC: '1'`). A server that exits or does not report its
 * address within 30 s fails the test at once, with its log. `app` picks another app of the
 * workspace than the example: its release binary and its site root.
 */
export function useServer(env = {}, app = EXAMPLE) {
  beforeEach(async (t) => {
    server = await startServer(env, app, t?.name ?? "test");
    baseUrl = server.url;
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
}

/** The example app: the server `cargo leptos build --release` builds, and its site. */
export const EXAMPLE = { binary: process.env.MIZAN_SERVER_BIN ?? 'target/release/server', siteRoot: 'target/site' };

/** The getting-started guide's app (`examples/todo`). */
export const TODO_APP = { binary: 'target/release/todo', siteRoot: 'target/todo-site' };

/**
 * Starts a release server of `app` with `env` on top of the test defaults (a fresh SQLite file,
 * port 0): `{ url, stop(), restart(downtime, during), kill() }`.
 */
export async function startServer(env, app, testName) {
  const binary = resolve(root, app.binary);
  const work = mkdtempSync(join(tmpdir(), 'mizan-e2e-'));
  const logDir = join(root, 'target', 'e2e-logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${basename(process.argv[1] ?? 'e2e')}-${testName.replace(/\W+/g, '-').slice(0, 60)}.log`);
  let log = '';
  const cleanUp = () => {
    writeFileSync(logFile, log);
    rmSync(work, { recursive: true, force: true });
  };

  /** Starts the binary on `addr` (port 0: a free one); resolves once it reports its address. */
  const launch = async (addr) => {
    const child = spawn(binary, [], {
      cwd: root,
      env: {
        ...process.env,
        LEPTOS_SITE_ADDR: addr,
        DATABASE_URL: `sqlite://${join(work, 'e2e.db')}`,
        LEPTOS_SITE_ROOT: resolve(root, app.siteRoot),
        LEPTOS_ENV: 'prod',
        RUST_LOG: process.env.RUST_LOG ?? 'info',
        MIZAN_LOG_FORMAT: 'text',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const from = log.length;
    const record = (chunk) => {
      log += chunk.toString();
    };
    child.stdout.on('data', record);
    child.stderr.on('data', record);
    const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
    const url = await new Promise((found, failed) => {
      const timer = setTimeout(() => failed(new Error(`the server did not report its address in 30 s; its log:\n${log}`)), 30_000);
      const look = () => {
        const match = /listening on (http:\/\/[0-9.]+:\d+)/.exec(log.slice(from));
        if (match) {
          clearTimeout(timer);
          found(match[1]);
        }
      };
      child.stdout.on('data', look);
      child.stderr.on('data', look);
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        failed(new Error(`the server exited during start (code ${code}, signal ${signal}); its log:\n${log}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        failed(new Error(`cannot start ${binary}: ${error.message}`));
      });
    }).catch((error) => {
      child.kill('SIGKILL');
      throw error;
    });
    return { child, exited, url };
  };

  let running;
  try {
    running = await launch('127.0.0.1:0');
  } catch (error) {
    cleanUp();
    throw error;
  }
  const halt = async () => {
    const { child, exited } = running;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const url = running.url;

  return {
    url,
    async stop() {
      await halt();
      cleanUp();
    },
    /** Kills the server at once (SIGKILL), as a crash would; `stop()` still cleans up. */
    async kill() {
      const { child, exited } = running;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    /** Stops the server, waits `downtime` ms (`during` runs meanwhile), starts it again on the same port and database. */
    async restart(downtime, during) {
      await halt();
      const waited = new Promise((done) => setTimeout(done, downtime));
      await during?.();
      await waited;
      running = await launch(new URL(url).host);
    },
  };
}

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

/**
 * Opens a page that collects problems into `problems` (strings) and responses into `responses`;
 * `settled()` waits until the page has had no request of its own in flight for a moment (before
 * a test navigates away, so the navigation cuts no refetch short).
 */
export async function newWatchedPage(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  const responses = [];
  let inFlight = 0;
  page.on('request', () => {
    inFlight += 1;
  });
  const finished = () => {
    inFlight -= 1;
  };
  page.on('requestfinished', finished);
  page.on('requestfailed', finished);
  const settled = async (quiet = 300, timeout = 10_000) => {
    const until = Date.now() + timeout;
    let quietSince = Date.now();
    while (Date.now() < until) {
      if (inFlight > 0) quietSince = Date.now();
      else if (Date.now() - quietSince >= quiet) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`requests still in flight after ${timeout} ms`);
  };
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
  return { context, page, problems, responses, settled };
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

/**
 * Signs a browser context in through `login` (its own request: the context's cookie jar gets
 * the session); fails the test when the server refuses.
 */
export async function signIn(context, email, password, url = baseUrl) {
  const login = await context.request.post(`${url}/api/mizan/call/`, {
    data: { fn: 'login', args: { email, password } },
  });
  if (login.status() !== 200) {
    throw new Error(`login as ${email} answered ${login.status()}: ${await login.text()}`);
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
