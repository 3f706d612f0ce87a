// Several nodes of the example behind nginx, on real engines started here for one test: a
// PostgreSQL server of its own (run as `postgres` when the tests run as root: it refuses root), a
// redis-server, two release servers sharing them, and nginx with the repository's
// deploy/nginx/mizan.conf in front; every one on a free loopback port, in a throwaway directory,
// stopped by its own pid afterwards.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { EXAMPLE, startServer } from './browser.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const isRoot = process.getuid?.() === 0;

/** A free loopback port. */
export async function freePort() {
  return new Promise((found, failed) => {
    const server = createServer();
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => found(port));
    });
  });
}

/** Resolves once something accepts connections on `port` (within 10 s). */
async function accepting(port, what) {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const open = await new Promise((done) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`${what} does not accept connections on port ${port} after 10 s`);
}

/** The newest of Debian's PostgreSQL bin directories (or MIZAN_PG_BIN). */
function postgresBin() {
  if (process.env.MIZAN_PG_BIN) return process.env.MIZAN_PG_BIN;
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((version) => existsSync(`/usr/lib/postgresql/${version}/bin/pg_ctl`))
    .sort((a, b) => Number(a) - Number(b));
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (Debian package postgresql)');
  return `/usr/lib/postgresql/${versions.at(-1)}/bin`;
}

/** A PostgreSQL server of the test's own: `{ url, stop(), start() }`. */
async function startPostgres(dir) {
  const bin = postgresBin();
  const port = await freePort();
  const data = join(dir, 'pg');
  const run = (program, args) => {
    const command = isRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]] : [join(bin, program), args];
    execFileSync(command[0], command[1], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  };
  if (isRoot) execFileSync('chown', ['-R', 'postgres:', dir]);
  run('initdb', ['--pgdata', data, '--username', 'mizan', '--auth', 'trust', '--encoding', 'UTF8', '--no-sync']);
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off`;
  const start = () => run('pg_ctl', ['--pgdata', data, '--log', join(dir, 'pg.log'), '--options', options, '--wait', 'start']);
  const stop = () => {
    try {
      run('pg_ctl', ['--pgdata', data, '--mode', 'immediate', '--wait', 'stop']);
    } catch {
      // Already stopped.
    }
  };
  start();
  return { url: `postgres://mizan@127.0.0.1:${port}/postgres`, start, stop };
}

/** A long-running program of the test's own, stopped by its pid: `{ kill(), start() }`. */
async function daemon(program, args, port, what) {
  let child;
  const start = async () => {
    child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (chunk) => {
      log += chunk;
    });
    const failed = new Promise((_, reject) => {
      child.once('error', (error) => reject(new Error(`cannot start ${what} (${program}): ${error.message}`)));
      child.once('exit', (code) => {
        if (code) reject(new Error(`${what} exited with ${code}: ${log}`));
      });
    });
    failed.catch(() => undefined);
    try {
      await Promise.race([accepting(port, what), failed]);
    } catch (error) {
      await kill();
      throw error;
    }
  };
  const kill = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return { start, kill };
}

/** A redis-server on a free port, without persistence. */
async function startRedis() {
  const port = await freePort();
  const redis = await daemon(
    existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    port,
    'redis-server',
  );
  return { ...redis, url: `redis://127.0.0.1:${port}` };
}

/**
 * nginx with deploy/nginx/mizan.conf, its addresses replaced by `nodes` and a free port of its
 * own, inside a minimal main configuration (pid, logs and temp files in `dir`).
 */
async function startNginx(dir, nodes) {
  const port = await freePort();
  const site = readFileSync(join(root, 'deploy', 'nginx', 'mizan.conf'), 'utf8')
    .replace(/^(\s*)server 127\.0\.0\.1:3001 ([^;]*);\n\s*server 127\.0\.0\.1:3002 [^;]*;/gm, (_, indent, rest) =>
      nodes.map((node) => `${indent}server ${new URL(node).host} ${rest};`).join('\n'))
    .replace('listen 127.0.0.1:8080;', `listen 127.0.0.1:${port};`);
  const upstreams = (text) => text.match(/server 127\.0\.0\.1:\d+ /g)?.length ?? 0;
  if (site.includes(':3001 ') || upstreams(site) !== 2 * nodes.length || !site.includes(`:${port};`)) {
    throw new Error('deploy/nginx/mizan.conf no longer has the lines this test replaces');
  }
  writeFileSync(join(dir, 'mizan.conf'), site);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${isRoot ? 'user root;\n' : ''}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${dir}/mizan.conf;
}
`,
  );
  const program = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  const nginx = await daemon(program, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], port, 'nginx');
  return { ...nginx, url: `http://127.0.0.1:${port}` };
}

/**
 * Two release nodes of the example on one PostgreSQL database, linked by `broker` (`redis` or
 * `postgres`), behind nginx: `{ url, nodes: [{ url, kill() }, ...], redis, postgres, stop() }`.
 * Every node trusts nginx's forwarded headers and shares one secret key.
 */
export async function startCluster(testName, { broker = 'redis' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mizan-cluster-'));
  chmodSync(dir, 0o755);
  const stops = [];
  try {
    const postgres = await startPostgres(dir);
    stops.push(async () => postgres.stop());
    const redis = broker === 'redis' ? await startRedis() : undefined;
    if (redis) stops.push(() => redis.kill());
    const env = {
      DATABASE_URL: postgres.url,
      MIZAN_SECRET_KEY: 'a secret key every node of the test shares, 32+ bytes',
      MIZAN_TRUSTED_PROXIES: '127.0.0.1',
      ...(redis ? { REDIS_URL: redis.url } : { MIZAN_BROKER: 'postgres' }),
    };
    const nodes = [];
    for (const name of ['a', 'b']) {
      // One after the other: the first migrates the database.
      const node = await startServer(env, EXAMPLE, `${testName}-node-${name}`);
      stops.push(() => node.stop());
      nodes.push(node);
    }
    const nginx = await startNginx(dir, nodes.map((node) => node.url));
    stops.push(() => nginx.kill());
    return {
      url: nginx.url,
      nodes,
      redis,
      postgres,
      async stop() {
        // Every one, even when one of them fails.
        for (const stop of stops.reverse()) await Promise.resolve().then(stop).catch((error) => console.error(error));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const stop of stops.reverse()) await Promise.resolve().then(stop).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
