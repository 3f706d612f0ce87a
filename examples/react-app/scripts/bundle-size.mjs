// The React app's JavaScript, gzipped, and the shares of mizan's runtime, the generated hooks and
// TanStack Query: each part bundled alone by Vite (minified, its peers left out) and gzipped.
// Prints a Markdown section for docs/benchmarks.md (scripts/bench.sh adds it). Run after
// `npm run build`.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { build } from 'vite';

const gz = (code) => gzipSync(code, { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

/** `entry` bundled alone, minified, with `external` left out: its gzipped size. */
async function part(entry, external) {
  const output = await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      lib: { entry, formats: ['es'], fileName: 'part' },
      rollupOptions: { external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)) },
    },
  });
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output);
  return gz(chunks.filter((c) => c.type === 'chunk').map((c) => c.code).join('\n'));
}

const assets = join('dist', 'assets');
const app = readdirSync(assets)
  .filter((name) => name.endsWith('.js'))
  .reduce((sum, name) => sum + gz(readFileSync(join(assets, name))), 0);
const peers = ['react', 'react-dom', '@tanstack/react-query'];
const runtime = await part('node_modules/mizan-react/dist/react/index.js', peers);
const generated = await part('src/api/index.ts', [...peers, 'mizan-react']);
const document = JSON.parse(readFileSync('src/api/mizan.openapi.json', 'utf8'));
const hooked = Object.values(document.paths).filter((item) => {
  const kind = item.post?.['x-mizan']?.kind;
  return kind !== undefined && kind !== 'view';
}).length;
const tanstack = await part('node_modules/@tanstack/react-query/build/modern/index.js', ['react']);

console.log(`## The React app's JavaScript

Produced by \`examples/react-app/scripts/bundle-size.mjs\` (${new Date().toISOString().slice(0, 10)}) after
\`npm run build\`: gzip -9 sizes; each part bundled alone by Vite, minified, its peers left out.

| what | gzipped |
| --- | ---: |
| the example React app (every JS file Vite built, React included) | ${kb(app)} |
| mizan's runtime (\`mizan-react\`: client, batching, keys, errors, hydration, React adapter) | ${kb(runtime)} |
| the generated hooks of the example's ${hooked} functions (\`src/api/\`) | ${kb(generated)} |
| TanStack Query (\`@tanstack/react-query\`), for scale | ${kb(tanstack)} |

Goal: mizan's own code under 5 KB gzipped beside TanStack Query: ${runtime < 5 * 1024 ? 'met' : 'missed'} (${kb(runtime)}).`);
