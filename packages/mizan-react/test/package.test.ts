// The package brings no React of its own, however an app installs it: it depends on nothing
// (React, TanStack Query and Zod are peers), and nothing from its folder up resolves them, so an
// app that links the folder (npm's default for `file:`) can only find the app's own copies.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
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

/**
 * The sources `entry` (a path under src/) loads at run time, itself included: its relative
 * imports and re-exports followed, those of types only (`import type`, `export type`, or every
 * name marked `type`) left out, as the compiled JavaScript has them.
 */
function loaded(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(ROOT, 'src', file), 'utf8');
    const statement = /^(?:import|export)\s+(type\s+)?(?:\{([^}]*)\}|\*)\s*(?:as\s+\w+\s+)?from\s+'(\.[^']+)'/gm;
    for (const [, typeOnly, names, target] of text.matchAll(statement)) {
      if (typeOnly || !target) continue;
      const named = (names ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
      if (names !== undefined && named.every((name) => name.startsWith('type '))) continue;
      const base = join(dirname(file), target.replace(/\.js$/, ''));
      const source = ['.ts', '.tsx'].map((ext) => base + ext).find((path) => existsSync(join(ROOT, 'src', path)));
      if (!source) throw new Error(`${file}: cannot find ${target}`);
      visit(relative('.', source));
    }
  };
  visit(entry);
  return seen;
}

describe('the entries', () => {
  test('are the package’s exports, each built from its source', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string; default: string }>;
    };
    const sources = Object.fromEntries(
      Object.entries(manifest.exports).map(([entry, { types, default: js }]) => {
        expect(types, entry).toBe(js.replace(/\.js$/, '.d.ts'));
        return [entry, js.replace(/^\.\/dist\//, '').replace(/\.js$/, '')];
      }),
    );
    expect(sources).toEqual({
      '.': 'react/index',
      './realtime': 'react/realtime',
      './forms': 'react/form',
      './core': 'core/index',
    });
  });

  test('mizan-react loads neither the socket nor forms: an app carries them only when it imports them', () => {
    const main = loaded('react/index.ts');
    for (const part of ['core/socket.ts', 'core/carrier.ts', 'core/frames.ts', 'core/watched.ts', 'react/realtime.ts', 'react/form.ts', 'core/rules.ts']) {
      expect(main.has(part), part).toBe(false);
    }
    expect(main.has('react/provider.tsx')).toBe(true);
    expect(main.has('core/client.ts')).toBe(true);
    // The walk does find them where they are loaded (the check is not vacuous).
    expect(loaded('react/realtime.ts').has('core/socket.ts')).toBe(true);
    expect(loaded('react/form.ts').has('core/rules.ts')).toBe(true);
  });
});
