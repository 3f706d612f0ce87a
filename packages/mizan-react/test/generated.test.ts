// The exporter's output compiles under the strictest settings an app may have. The Rust tests
// (crates/mizan-export) snapshot every generated file of two documents, one with every kind of
// function, a channel and a form, one with a single mutation and nothing else; each document's
// files are compiled here together, against this runtime's sources, as an app's `src/api` would.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const SNAPSHOTS = join(import.meta.dirname, '../../../crates/mizan-export/src/snapshots');
const SOURCES = join(import.meta.dirname, '../src');
const MODULES = join(import.meta.dirname, 'node_modules');
/** A compilation reads React's and the DOM's declarations: seconds, on a busy machine more. */
const COMPILING = 60_000;

/** Vite's template's settings and every stricter one in common use (`@tsconfig/strictest`). */
const STRICTEST: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  moduleDetection: ts.ModuleDetectionKind.Force,
  jsx: ts.JsxEmit.ReactJSX,
  noEmit: true,
  types: [],
  strict: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  verbatimModuleSyntax: true,
  erasableSyntaxOnly: true,
  isolatedModules: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitReturns: true,
  noImplicitOverride: true,
  noFallthroughCasesInSwitch: true,
  noPropertyAccessFromIndexSignature: true,
  noUncheckedSideEffectImports: true,
  allowUnreachableCode: false,
  allowUnusedLabels: false,
  // The app imports the package; here it is the runtime's sources, which import React and
  // TanStack Query from this workspace (see ../tsconfig.json).
  paths: {
    'mizan-react': [join(SOURCES, 'react/index.ts')],
    'mizan-react/realtime': [join(SOURCES, 'react/realtime.ts')],
    'mizan-react/forms': [join(SOURCES, 'react/form.ts')],
    'mizan-react/core': [join(SOURCES, 'core/index.ts')],
    react: [join(MODULES, '@types/react/index.d.ts')],
    'react/jsx-runtime': [join(MODULES, '@types/react/jsx-runtime.d.ts')],
    '@tanstack/react-query': [join(MODULES, '@tanstack/react-query/build/modern/index.d.ts')],
  },
};

/** Each snapshotted document's generated files, by document: `{ every_kind: { 'index.ts': ... } }`. */
function documents(): Map<string, Map<string, string>> {
  const byDocument = new Map<string, Map<string, string>>();
  for (const snapshot of readdirSync(SNAPSHOTS).sort()) {
    const match = /^mizan_export__tests__(\w+?)__(.+)\.snap$/.exec(snapshot);
    if (!match?.[1] || !match[2]) continue;
    // An insta snapshot: a `---` header, then the contents.
    const text = readFileSync(join(SNAPSHOTS, snapshot), 'utf8');
    const body = text.replace(/^---\n[\s\S]*?\n---\n/, '');
    const files = byDocument.get(match[1]) ?? new Map<string, string>();
    files.set(match[2], body);
    byDocument.set(match[1], files);
  }
  return byDocument;
}

/** The compiler's complaints about `files` (an app's `src/api`), and only about them. */
function diagnose(files: Map<string, string>, options: ts.CompilerOptions = STRICTEST): string[] {
  // The files are placed inside this workspace, so `zod` and `react` resolve from its modules.
  const dir = join(import.meta.dirname, '__generated__');
  const virtual = new Map([...files].map(([name, text]) => [join(dir, name), text]));
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile, directoryExists } = host;
  host.directoryExists = (path) => path === dir || (directoryExists?.call(host, path) ?? true);
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, ...rest) => {
    const text = virtual.get(file);
    return text === undefined
      ? getSourceFile.call(host, file, language, ...rest)
      : ts.createSourceFile(file, text, language);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);
  const generated = [...virtual.keys()].flatMap((file) => {
    const source = program.getSourceFile(file);
    return source ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)] : [];
  });
  return [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...generated].map((diagnostic) => {
    const where = diagnostic.file
      ? `${diagnostic.file.fileName.slice(dir.length + 1)}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}: `
      : '';
    return `${where}TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  });
}

describe('the generated files', () => {
  const all = documents();

  test('every document is snapshotted with all its files', () => {
    expect([...all.keys()]).toEqual(['every_kind', 'one_mutation']);
    for (const files of all.values()) {
      expect([...files.keys()].sort()).toEqual([
        'generated.channels.ts',
        'generated.forms.ts',
        'generated.hooks.tsx',
        'generated.mizan.ts',
        'generated.server.ts',
        'index.ts',
      ]);
    }
  });

  test.each([...all.keys()])('of %s compile under the strictest settings', (name) => {
    expect(diagnose(all.get(name) ?? new Map())).toEqual([]);
  }, COMPILING);

  test('an app whose mizan-react cannot see React fails to compile, saying what to do', () => {
    const files = new Map(all.get('one_mutation'));
    files.set('main.tsx', "import { MizanContext } from './index';\nexport const app = <MizanContext><p /></MizanContext>;\n");
    expect(diagnose(files)).toEqual([]);
    // A linked package: its declarations look for React in its own folder and find nothing.
    const { react: _react, 'react/jsx-runtime': _runtime, ...paths } = STRICTEST.paths ?? {};
    expect(diagnose(files, { ...STRICTEST, paths }).join('\n')).toContain(
      'mizan-react cannot see React: set "preserveSymlinks": true in tsconfig',
    );
  }, COMPILING);

  test('an unused import is caught (the check is not vacuous)', () => {
    const files = new Map(all.get('one_mutation'));
    files.set('index.ts', `import { defineQuery } from 'mizan-react';\n${files.get('index.ts') ?? ''}`);
    expect(diagnose(files).join('\n')).toContain('TS6133');
  }, COMPILING);
});
