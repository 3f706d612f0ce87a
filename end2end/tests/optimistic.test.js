// Optimistic updates end to end, in the Leptos pages and in the React app: the server slows
// renames by non-staff users (MIZAN_DEMO_SLOW_RENAMES_MS), so the patch can be seen while its call
// is pending. The profile's name is sampled on every frame and on every DOM change: it shows the
// new name before the answer, never the old one again once the answer's refetch has landed, rolls
// back on a refusal, and stays on top of another client's rename pushed while it is pending.
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

/** How long the server holds a rename by a user who is not staff. */
const SLOW_MS = 2500;
/** How soon a patch must show: well before the held answer (each test also checks none came). */
const PATCH_SHOWN_MS = 2000;

const browser = useBrowser();
useServer({ MIZAN_DEMO_SLOW_RENAMES_MS: String(SLOW_MS) });

/** The two frontends: where each shows a profile, and when it is ready to use. */
const FRONTENDS = [
  {
    name: 'Leptos',
    profile: (id) => `/users/${id}`,
    // The profile page is a module of its own, loaded and hydrated after the app's shell: once
    // the network is quiet, its form is live (a click before that would submit it natively).
    ready: async (page) => {
      await waitForHydration(page);
      await page.waitForLoadState('networkidle');
    },
    renameUrl: '/api/mizan/fn/update_name',
  },
  {
    name: 'React',
    profile: (id) => `/react/users/${id}`,
    ready: (page) =>
      page.getByTestId('current-user').filter({ hasText: /Signed in|Not signed in/ }).waitFor(),
    renameUrl: '/api/mizan/call/',
  },
];

/** Opens `path` signed in as `who`, ready; runs `body`; always closes the page's context. */
async function onPage(frontend, who, path, body) {
  const watched = await newWatchedPage(browser());
  try {
    await signIn(watched.context, `${who}@example.com`, `${who}-password`);
    await watched.page.goto(`${baseUrl}${path}`);
    await frontend.ready(watched.page);
    await waitForText(watched.page, 'profile-name', '');
    await body(watched);
  } finally {
    await watched.context.close();
  }
}

/**
 * Records the profile's name on every animation frame and on every DOM change, with the time
 * (`performance.now()`); `samples(page)` reads them back.
 */
async function startSampling(page) {
  await page.evaluate(() => {
    const shown = () => document.querySelector('[data-testid="profile-name"]')?.textContent ?? null;
    const samples = [];
    window.__samples = samples;
    const record = () => {
      const name = shown();
      if (samples.at(-1)?.name !== name) samples.push({ at: performance.now(), name });
    };
    const frame = () => {
      record();
      requestAnimationFrame(frame);
    };
    frame();
    new MutationObserver(record).observe(document.body, {
      childList: true,
      subtree: true,
      characterData: true,
    });
  });
}

/** The names sampled since `startSampling`, each change once. */
const samples = (page) => page.evaluate(() => window.__samples.map((sample) => sample.name));

/** A rename's response (`update_name`, over either path) as it arrives. */
function renameAnswer(frontend, page) {
  return page.waitForResponse(
    (response) =>
      new URL(response.url()).pathname === frontend.renameUrl &&
      (frontend.name === 'Leptos' || response.request().postDataJSON()?.fn === 'update_name'),
    { timeout: SLOW_MS + 10_000 },
  );
}

/** Whether a response is a read of `user_profile` (alone or in a batch). */
function readsProfile(response) {
  const path = new URL(response.url()).pathname;
  if (path === '/api/mizan/fn/user_profile') return true;
  const body = response.request().postDataJSON();
  return body?.fn === 'user_profile' || body?.calls?.some((call) => call.fn === 'user_profile') === true;
}

/** The POST requests answered among `responses`, by path. */
const posted = (responses) =>
  responses.filter((r) => r.request().method() === 'POST').map((r) => new URL(r.url()).pathname);

/** Submits the rename form with `name`. */
async function rename(page, name) {
  await page.getByTestId('rename-input').fill(name);
  await page.getByTestId('rename-submit').click();
}

/** The text of the profile's name now. */
const shownName = (page) => page.getByTestId('profile-name').textContent();

for (const frontend of FRONTENDS) {
  test(`${frontend.name}: a rename shows at once, before its answer, and never flickers back`, async () => {
    await onPage(frontend, 'alice', frontend.profile(1), async ({ page, problems, responses }) => {
      const before = await shownName(page);
      const name = `Alice ${frontend.name} ${Date.now() % 100_000}`;
      await startSampling(page);
      responses.length = 0;
      const answer = renameAnswer(frontend, page);
      // The answer's refetch: the profile (with the header) read once more.
      const refetch = page.waitForResponse(readsProfile, { timeout: SLOW_MS + 10_000 });
      await rename(page, name);
      await waitForText(page, 'profile-name', name, PATCH_SHOWN_MS);
      assert.deepEqual(posted(responses), [], 'the new name shows while the rename is still pending');

      await answer;
      await refetch;
      await waitForText(page, 'current-user', name);
      await page.waitForTimeout(300);
      assert.equal(await shownName(page), name);
      const seen = await samples(page);
      assert.deepEqual(seen, [before, name], `every frame after the click shows the new name: ${seen}`);
      assert.equal((await page.getByTestId('error-message').textContent()).trim(), '');
      assert.deepEqual(unexpectedProblems(problems), []);
    });
  });

  test(`${frontend.name}: a refused rename shows, then rolls back with the server's error`, async () => {
    await onPage(frontend, 'alice', frontend.profile(2), async ({ page, problems, responses }) => {
      const before = await shownName(page);
      await startSampling(page);
      responses.length = 0;
      const answer = renameAnswer(frontend, page);
      await rename(page, 'Mallory');
      await waitForText(page, 'profile-name', 'Mallory', PATCH_SHOWN_MS);
      assert.deepEqual(posted(responses), [], 'the patch shows while the rename is pending');

      assert.equal((await answer).status(), 403);
      await waitForText(page, 'error-message', 'FORBIDDEN');
      await page.waitForTimeout(300);
      assert.equal(await shownName(page), before);
      assert.deepEqual(await samples(page), [before, 'Mallory', before]);
      // Nothing to refetch: the server changed nothing.
      assert.equal(responses.filter(readsProfile).length, 0);
      assert.deepEqual(unexpectedProblems(problems, 403), []);
    });
  });

  test(`${frontend.name}: another client's rename pushed during the pending patch lands under it`, async () => {
    // The staff user's tab renames alice too, without the slowdown: its push reaches alice's tab
    // while her own rename is pending.
    const admin = await newWatchedPage(browser());
    try {
      await signIn(admin.context, 'admin@example.com', 'admin-password');
      await admin.page.goto(`${baseUrl}/users/1`);
      await FRONTENDS[0].ready(admin.page);
      await onPage(frontend, 'alice', frontend.profile(1), async ({ page, problems, responses }) => {
        const before = await shownName(page);
        const stamp = Date.now() % 100_000;
        const mine = `Alice mine ${frontend.name} ${stamp}`;
        const theirs = `Alice theirs ${frontend.name} ${stamp}`;
        await startSampling(page);
        // Alice's rename leaves only once the push has arrived: however slow the machine, the
        // push lands while her patch is pending (the server then holds her rename too).
        const pushed = page.waitForResponse(readsProfile, { timeout: 15_000 });
        // Awaited below; a failure before then must not surface as an unhandled rejection.
        pushed.catch(() => undefined);
        await page.route(`**${frontend.renameUrl}`, async (route) => {
          if (frontend.name === 'Leptos' || route.request().postDataJSON()?.fn === 'update_name') {
            await pushed.catch(() => undefined);
          }
          await route.continue();
        });
        const answer = renameAnswer(frontend, page);
        await rename(page, mine);
        await waitForText(page, 'profile-name', mine, PATCH_SHOWN_MS);

        await rename(admin.page, theirs);
        await waitForText(admin.page, 'profile-name', theirs);
        // Alice's tab refetched the profile (the push) while her rename was pending.
        await pushed;
        const refetch = page.waitForResponse(readsProfile, { timeout: SLOW_MS + 10_000 });
        await page.waitForTimeout(200);
        assert.equal(await shownName(page), mine, 'the pending patch stays on top of the pushed value');

        await answer;
        await refetch;
        // Alice's rename ran last: both tabs end with her name.
        await waitForText(admin.page, 'profile-name', mine);
        await page.waitForTimeout(300);
        assert.equal(await shownName(page), mine);
        assert.deepEqual(await samples(page), [before, mine]);
        assert.deepEqual(unexpectedProblems(problems), []);
      });
    } finally {
      await admin.context.close();
    }
  });
}
