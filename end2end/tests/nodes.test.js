// Two release nodes of the example behind nginx, on one PostgreSQL database, linked by Redis (or
// by PostgreSQL's LISTEN/NOTIFY): what a visitor does through one node reaches pages open on the
// other without a reload, chat crosses both ways, and open pages ride out a Redis outage, a
// node's crash and a database restart. Every test starts its engines and nodes (cluster.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { newWatchedPage, signIn, unexpectedProblems, useBrowser, waitForHydration, waitForText } from './browser.js';
import { heard, say } from './chat-page.js';
import { startCluster } from './cluster.js';

const browser = useBrowser();

/** Runs `body` with a cluster of its own, always stopped after. */
async function withCluster(name, options, body) {
  const cluster = await startCluster(name, options);
  try {
    await body(cluster);
  } finally {
    await cluster.stop();
  }
}

/** Waits until the page's socket has said hello (its watches are then in place). */
async function socketOpen(page) {
  await page.waitForEvent('websocket', { timeout: 10_000 }).catch(() => undefined);
  await page.waitForTimeout(300);
}

/** A hydrated profile page of user 1 at `url`, its socket open, marked to catch a reload. */
async function profilePage(context, url) {
  const page = await context.newPage();
  const socket = socketOpen(page);
  await page.goto(`${url}/users/1`);
  await waitForHydration(page);
  await socket;
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  return page;
}

/** Renames user 1 from `page` (a hydrated profile page of theirs). */
async function renameFrom(page, name) {
  await page.getByTestId('rename-input').fill(name);
  await page.getByTestId('rename-submit').click();
  await waitForText(page, 'profile-name', name);
}

/** The session, a rename and chat across the two nodes, and a page served through nginx. */
async function actsAsOneSite(cluster) {
  const [a, b] = cluster.nodes;
  const alice = await newWatchedPage(browser());
  const admin = await newWatchedPage(browser());
  const visitor = await newWatchedPage(browser());
  try {
    // Signed in through A; B knows the session (cookies go to every port of 127.0.0.1).
    await signIn(alice.context, 'alice@example.com', 'alice-password', a.url);
    const me = await alice.context.request.post(`${b.url}/api/mizan/call/`, { data: { fn: 'whoami', args: {} } });
    assert.equal((await me.json()).result.email, 'alice@example.com');

    // A rename through A reaches a page open on B, and one served through nginx.
    const onB = await profilePage(visitor.context, b.url);
    const throughNginx = await profilePage(visitor.context, cluster.url);
    const aliceOnA = await profilePage(alice.context, a.url);
    await renameFrom(aliceOnA, 'Alicia');
    for (const page of [onB, throughNginx]) {
      await waitForText(page, 'profile-name', 'Alicia');
      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
    }

    // Chat both ways between a page on A and a page on B.
    await signIn(admin.context, 'admin@example.com', 'admin-password', b.url);
    const aliceChat = await alice.context.newPage();
    const adminChat = await admin.context.newPage();
    await aliceChat.goto(`${a.url}/chat/general`);
    await adminChat.goto(`${b.url}/chat/general`);
    for (const page of [aliceChat, adminChat]) {
      await waitForHydration(page);
      await waitForText(page, 'chat-status', 'connected');
    }
    await aliceChat.waitForTimeout(300);
    await say(aliceChat, 'hello from node a');
    await heard(adminChat, 'Alicia: hello from node a');
    await say(adminChat, 'hi from node b');
    await heard(aliceChat, 'Admin: hi from node b');

    for (const watched of [alice, admin, visitor]) assert.deepEqual(unexpectedProblems(watched.problems), []);
  } finally {
    for (const watched of [alice, admin, visitor]) await watched.context.close();
  }
}

test('two nodes linked by Redis behind nginx act as one site', async () => {
  await withCluster('redis', { broker: 'redis' }, actsAsOneSite);
});

test('two nodes linked by PostgreSQL LISTEN/NOTIFY act as one site', async () => {
  await withCluster('postgres', { broker: 'postgres' }, actsAsOneSite);
});

test('with Redis killed both nodes answer; once it is back, open pages show what changed meanwhile and pushes resume', async () => {
  await withCluster('redis-outage', { broker: 'redis' }, async (cluster) => {
    const [a, b] = cluster.nodes;
    const alice = await newWatchedPage(browser());
    const visitor = await newWatchedPage(browser());
    try {
      await signIn(alice.context, 'alice@example.com', 'alice-password', a.url);
      const onB = await profilePage(visitor.context, b.url);
      const aliceOnA = await profilePage(alice.context, a.url);

      await cluster.redis.kill();
      for (const node of [a, b]) {
        const page = await visitor.context.request.get(`${node.url}/`);
        assert.equal(page.status(), 200, `${node.url} answers without Redis`);
      }
      await renameFrom(aliceOnA, 'Changed in the outage');
      // Long enough for A's Redis client to give up on that rename's message.
      await onB.waitForTimeout(3000);
      await cluster.redis.start();
      await waitForText(onB, 'profile-name', 'Changed in the outage', 10_000);
      await renameFrom(aliceOnA, 'After the outage');
      await waitForText(onB, 'profile-name', 'After the outage', 10_000);
      assert.equal(await onB.evaluate(() => window.__sameDocument), true, 'no reload');
    } finally {
      await alice.context.close();
      await visitor.context.close();
    }
  });
});

test('when a node dies, pages open through nginx reconnect to the other and show fresh data', async () => {
  await withCluster('node-killed', { broker: 'redis' }, async (cluster) => {
    const [a, b] = cluster.nodes;
    const alice = await newWatchedPage(browser());
    const visitor = await newWatchedPage(browser());
    try {
      await signIn(alice.context, 'alice@example.com', 'alice-password', cluster.url);
      const page = await profilePage(visitor.context, cluster.url);
      // The page's socket is on one of the two: kill each in turn, renaming through the other.
      for (const [dead, alive, name] of [[a, b, 'While a is down'], [b, a, 'While b is down']]) {
        await dead.kill();
        const renamed = await alice.context.request.post(`${alive.url}/api/mizan/call/`, {
          data: { fn: 'update_name', args: { user_id: 1, name } },
        });
        assert.equal(renamed.status(), 200, await renamed.text());
        await waitForText(page, 'profile-name', name, 20_000);
        await dead.restart(0);
        // Let the restarted node take its place in the round before the other one goes down.
        await page.waitForTimeout(1000);
      }
      assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
    } finally {
      await alice.context.close();
      await visitor.context.close();
    }
  });
});

test('with the database stopped calls get a typed 503 through nginx, and succeed once it is back', async () => {
  await withCluster('database-stopped', { broker: 'redis' }, async (cluster) => {
    const visitor = await newWatchedPage(browser());
    try {
      const call = () => visitor.context.request.post(`${cluster.url}/api/mizan/call/`, {
        data: { fn: 'site_stats', args: {} },
      });
      assert.equal((await call()).status(), 200);
      cluster.postgres.stop();
      // Round robin: each node answers one of these.
      for (let i = 0; i < 2; i += 1) {
        const down = await call();
        assert.equal(down.status(), 503);
        const { error } = await down.json();
        assert.equal(error.code, 'UNAVAILABLE');
        assert.doesNotMatch(error.message, /127\.0\.0\.1|sqlx|os error|postgres/i);
      }
      cluster.postgres.start();
      const until = Date.now() + 10_000;
      let status;
      while (Date.now() < until) {
        status = (await call()).status();
        if (status === 200) break;
        await new Promise((done) => setTimeout(done, 200));
      }
      assert.equal(status, 200, 'calls succeed within 10 s of the restart');
    } finally {
      await visitor.context.close();
    }
  });
});
