// mizan-generate's own logic (configuration, --check, writing) around a stand-in export command
// that writes a few files; the example React app and examples/vite-fresh run it against the real
// server.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const BIN = join(import.meta.dirname, '../bin/mizan-generate.mjs');
const TYPES = 'export interface components { schemas: { Todo: { id: number } } }\n';

/** A project whose "app" is a node script writing the export's files into `--out`. */
function project(files: Record<string, string> = { 'generated.hooks.tsx': 'export const hooks = 1;\n', 'generated.mizan.ts': TYPES }) {
  const dir = mkdtempSync(join(tmpdir(), 'mizan-generate-test-'));
  const written = { 'mizan.openapi.json': '{"openapi": "3.1.0"}\n', ...files };
  writeFileSync(
    join(dir, 'app.mjs'),
    `import { writeFileSync } from 'node:fs';
     const [, , command, what, flag, out] = process.argv;
     if (command !== 'export' || what !== 'typescript' || flag !== '--out') process.exit(3);
     for (const [name, contents] of Object.entries(${JSON.stringify(written)})) writeFileSync(out + '/' + name, contents);`,
  );
  writeFileSync(
    join(dir, 'mizan.config.mjs'),
    `export default { export: { command: [${JSON.stringify(process.execPath)}, 'app.mjs'] }, output: 'src/api' };`,
  );
  return dir;
}

function run(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, out: result.stdout + result.stderr };
}

describe('mizan-generate', () => {
  test('writes the export’s files as they are, types included (no TypeScript runs)', () => {
    const dir = project();
    const { status, out } = run(dir);
    expect(status, out).toBe(0);
    expect(readFileSync(join(dir, 'src/api/generated.mizan.ts'), 'utf8')).toBe(TYPES);
    expect(readFileSync(join(dir, 'src/api/generated.hooks.tsx'), 'utf8')).toBe('export const hooks = 1;\n');
    expect(run(dir, '--check').status).toBe(0);
  });

  test('an export without the types (a server on an older mizan) is a clear error', () => {
    const dir = project({ 'generated.hooks.tsx': 'export {};\n' });
    const { status, out } = run(dir);
    expect(status).toBe(2);
    expect(out).toContain('wrote no generated.mizan.ts');
  });

  test('--check fails on a stale, a missing or a left-over file, naming it', () => {
    const dir = project();
    expect(run(dir).status).toBe(0);
    writeFileSync(join(dir, 'src/api/generated.hooks.tsx'), 'edited by hand\n');
    writeFileSync(join(dir, 'src/api/generated.old.ts'), 'from a removed function\n');
    const { status, out } = run(dir, '--check');
    expect(status).toBe(1);
    expect(out).toContain('stale: generated.hooks.tsx');
    expect(out).toContain('left over: generated.old.ts');
    expect(out).toContain('npx mizan-generate');
    // What the message says to run fixes it: the stale file is rewritten, the left-over removed.
    expect(run(dir).status).toBe(0);
    expect(run(dir, '--check').status).toBe(0);
  });

  test('a failing export command, or no configuration, is a clear error', () => {
    const dir = project();
    writeFileSync(join(dir, 'app.mjs'), 'process.exit(4);');
    const failed = run(dir);
    expect(failed.status).toBe(2);
    expect(failed.out).toContain('the export command failed (exit 4)');

    const empty = mkdtempSync(join(tmpdir(), 'mizan-generate-empty-'));
    mkdirSync(join(empty, 'src'));
    const missing = run(empty);
    expect(missing.status).toBe(2);
    expect(missing.out).toContain('no mizan.config.mjs');
    expect(run(empty, '--bogus').out).toContain('unknown argument `--bogus`');
  });
});
