// The package brings no React of its own, however an app installs it: it depends on nothing
// (React, TanStack Query and Zod are peers), and nothing from its folder up resolves them, so an
// app that links the folder (npm's default for `file:`) can only find the app's own copies.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

describe('the mizan-react package', () => {
  test('depends on nothing: React, TanStack Query and Zod are peers', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest['dependencies']).toBeUndefined();
    expect(manifest['devDependencies']).toBeUndefined();
    expect(Object.keys(manifest['peerDependencies'] as object).sort()).toEqual(['@tanstack/react-query', 'react', 'zod']);
    // npm installs a project's own peers unless told not to: this keeps `npm install` in the
    // package's folder from bringing React there.
    expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).toMatch(/^legacy-peer-deps=true$/m);
  });

  test('finds no React, TanStack Query or Zod from its own folder', () => {
    const resolve = createRequire(join(ROOT, 'dist/react/index.js')).resolve;
    for (const name of ['react', 'react-dom', '@tanstack/react-query', 'zod']) {
      expect(() => resolve(name), name).toThrow(/Cannot find module/);
    }
  });
});
