// The React app's JavaScript, gzipped, and the shares in it of mizan's runtime, the generated
// code (mizan's own, and the Zod it calls), and TanStack Query for scale: each part bundled alone
// by Vite, minified as an app's build minifies it (whitespace too, which Vite's library mode
// otherwise keeps), its peers left out, and gzipped. Prints a Markdown section for
// docs/benchmarks.md (scripts/bench.sh adds it). Run after `npm run build` (and after building
// the runtime: `npm run build` in packages/mizan-react/test).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { build } from 'vite';

const gz = (code) => gzipSync(code, { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
/** mizan's own runtime must stay under this, gzipped (issue 20). */
const GOAL = 5 * 1024;

const RUNTIME = 'node_modules/mizan-react/dist';
const ENTRIES = {
  'mizan-react': `${RUNTIME}/react/index.js`,
  'mizan-react/realtime': `${RUNTIME}/react/realtime.js`,
  'mizan-react/forms': `${RUNTIME}/react/form.js`,
  'mizan-react/core': `${RUNTIME}/core/index.js`,
};
const PEERS = ['react', 'react-dom', '@tanstack/react-query'];

/**
 * `source` (a module's text, its imports resolved from this folder) bundled alone, minified,
 * with `external` left out: its gzipped size.
 */
async function part(source, external) {
  // Vite makes a library's entry a path; the plugin answers for it with `source`.
  const entry = 'mizan-size-entry.js';
  const id = '\0mizan-size-entry.js';
  const output = await build({
    configFile: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'mizan-size-entry',
        resolveId: (wanted) => (wanted.endsWith(entry) ? id : undefined),
        load: (loaded) => (loaded === id ? source : undefined),
      },
    ],
    build: {
      write: false,
      minify: true,
      lib: { entry, formats: ['es'], fileName: 'part' },
      rolldownOptions: {
        output: { minify: true, comments: false },
        external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)),
      },
    },
  });
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output);
  return gz(chunks.filter((c) => c.type === 'chunk').map((c) => c.code).join('\n'));
}

const here = process.cwd();
/** A module exporting everything `files` (paths from this folder) export. */
const reexport = (...files) => files.map((file) => `export * from ${JSON.stringify(join(here, file))};`).join('\n');

/** Every TypeScript file under `dir`. */
function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/**
 * The names the app (its generated code included) takes from each of mizan-react's entries, types
 * left out: `{ 'mizan-react': Set { 'MizanProvider', ... }, ... }`.
 */
function namesUsed() {
  const used = {};
  const statement = /(?:import|export)\s+(type\s+)?\{([^}]*)\}\s+from\s+'(mizan-react(?:\/\w+)?)'/g;
  for (const file of sources('src')) {
    for (const [, allTypes, names, entry] of readFileSync(file, 'utf8').matchAll(statement)) {
      if (allTypes) continue;
      for (const name of names.split(',').map((n) => n.trim())) {
        if (name === '' || name.startsWith('type ')) continue;
        (used[entry] ??= new Set()).add(name.split(/\s+as\s+/)[0]);
      }
    }
  }
  return used;
}

const assets = join('dist', 'assets');
const app = readdirSync(assets)
  .filter((name) => name.endsWith('.js'))
  .reduce((sum, name) => sum + gz(readFileSync(join(assets, name))), 0);

const used = namesUsed();
const usedSource = Object.entries(used)
  .map(([entry, names]) => `export { ${[...names].sort().join(', ')} } from ${JSON.stringify(join(here, ENTRIES[entry]))};`)
  .join('\n');
const runtimeUsed = await part(usedSource, PEERS);
const main = await part(reexport(ENTRIES['mizan-react']), PEERS);
const withRealtime = await part(reexport(ENTRIES['mizan-react'], ENTRIES['mizan-react/realtime']), PEERS);
const withForms = await part(reexport(ENTRIES['mizan-react'], ENTRIES['mizan-react/forms']), PEERS);
const all = await part(reexport(ENTRIES['mizan-react'], ENTRIES['mizan-react/realtime'], ENTRIES['mizan-react/forms']), PEERS);

// The generated code: mizan's own (Zod and the runtime left out), and with the Zod it calls.
const generatedSource = reexport('src/api/index.ts');
const generatedOwn = await part(generatedSource, [...PEERS, 'mizan-react', 'zod']);
const generatedWithZod = await part(generatedSource, [...PEERS, 'mizan-react']);
const zodShare = generatedWithZod - generatedOwn;
const zodImport = /from '(zod(?:\/\w+)?)'/.exec(readFileSync('src/api/generated.forms.ts', 'utf8'))?.[1] ?? 'none';

const document = JSON.parse(readFileSync('src/api/mizan.openapi.json', 'utf8'));
const hooked = Object.values(document.paths).filter((item) => {
  const kind = item.post?.['x-mizan']?.kind;
  return kind !== undefined && kind !== 'view';
}).length;
const tanstack = await part(reexport('node_modules/@tanstack/react-query/build/modern/index.js'), ['react']);

const verdict = (bytes) => (bytes <= GOAL ? 'met' : 'missed');
const entriesUsed = Object.keys(used).sort().map((e) => `\`${e}\``).join(', ');

console.log(`## The React app's JavaScript

Produced by \`examples/react-app/scripts/bundle-size.mjs\` (${new Date().toISOString().slice(0, 10)}) after
\`npm run build\`: gzip -9 sizes; each part bundled alone by Vite, minified as an app's build
minifies it (whitespace too: Vite's library mode keeps it, which the figures before issue 20
counted), its peers (React, TanStack Query) left out. mizan's rows count only mizan's own code.

| what | gzipped |
| --- | ---: |
| the example React app (every JS file Vite built: React, TanStack Query, Zod, mizan, the app) | ${kb(app)} |
| \`mizan-react\`, every export: the provider, hooks, definitions, client (calls, batching), errors, keys, hydration: what every app carries | ${kb(main)} |
| \`mizan-react/realtime\` on top: the socket, its SSE fallback, watching contexts, identity changes, channels (apps with contexts, channels or websocket functions) | +${kb(withRealtime - main)} |
| \`mizan-react/forms\` on top: \`useMizanForm\`, the server's length and email rules (apps with forms) | +${kb(withForms - main)} |
| mizan's runtime as the example uses it: every name it imports (from ${entriesUsed}), all three parts | ${kb(runtimeUsed)} |
| the generated code of the example's ${hooked} functions (\`src/api/\`): mizan's own | ${kb(generatedOwn)} |
| the Zod it calls (\`${zodImport}\`, for the forms' rules) | ${kb(zodShare)} |
| TanStack Query (\`@tanstack/react-query\`), for scale | ${kb(tanstack)} |

Before issue 20, measured the same way: the whole app 107.2 KB; the runtime one entry of 7.9 KB
(every export; 7.5 KB as the example used it); the generated code's Zod (full \`zod\`) 21.8 KB
beside its own 1.9 KB.

Goal: mizan's own runtime at most 5 KB gzipped. \`mizan-react\`, what every app carries:
${verdict(main)} (${kb(main)}). With the socket and forms, as the example uses them: ${verdict(runtimeUsed)}
(${kb(runtimeUsed)}); an app carries those parts only when it has contexts, channels or forms.`);
