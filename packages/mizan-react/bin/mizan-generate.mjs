#!/usr/bin/env node
// mizan-generate: writes an app's generated TypeScript. It runs the app's own export command
// (no running server, no database), which writes every file, types included, and writes (or,
// with --check, compares) them. It runs no TypeScript and needs no package but Node's own, so it
// works whichever TypeScript the app has (5 or 7).
//
//   npx mizan-generate [--check] [--config FILE]
//
// The configuration, `mizan.config.mjs` beside package.json unless --config says otherwise:
//
//   export default {
//     // The app's binary, run as `<command> export typescript --out DIR`, from `cwd`.
//     export: { command: ['cargo', 'run', '--quiet', '-p', 'server', '--'], cwd: '../..' },
//     // Where the generated files go, relative to this file.
//     output: 'src/api',
//   };

import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const USAGE = 'usage: mizan-generate [--check] [--config FILE]';
/** What every export writes: a server whose mizan predates the types' export lacks the second. */
const REQUIRED = ['mizan.openapi.json', 'generated.mizan.ts'];

/**
 * @typedef {{ check: boolean, config: string, help: boolean }} Options
 * @typedef {{ command: string[], cwd: string, output: string }} Config
 * @typedef {Map<string, string>} Files  the generated files' names and contents
 */

/** A failure the user can act on: printed without a stack. */
class GenerateError extends Error {}

/**
 * `--check` and `--config FILE` from `argv`.
 * @param {string[]} argv
 * @returns {Options}
 */
export function parseArgs(argv) {
  const options = { check: false, config: 'mizan.config.mjs', help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') options.check = true;
    else if (arg === '--config' && argv[i + 1] !== undefined) options.config = argv[++i] ?? '';
    else if (arg === '--help' || arg === '-h') options.help = true;
    else throw new GenerateError(`unknown argument \`${arg}\`\n${USAGE}`);
  }
  return options;
}

/**
 * The configuration in `file` (relative to the working directory), checked.
 * @param {string} file
 * @returns {Promise<Config>}
 */
export async function loadConfig(file) {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new GenerateError(`no ${file}: create it (see \`mizan-generate --help\`)`);
  }
  const config = (await import(pathToFileURL(path).href)).default;
  const command = config?.export?.command;
  if (!Array.isArray(command) || command.length === 0 || !command.every((/** @type {unknown} */ a) => typeof a === 'string')) {
    throw new GenerateError(`${file}: \`export.command\` must be a list of strings, e.g. ['cargo', 'run', '-p', 'server', '--']`);
  }
  if (typeof config.output !== 'string' || config.output === '') {
    throw new GenerateError(`${file}: \`output\` must name the directory to write, e.g. 'src/api'`);
  }
  const base = dirname(path);
  return {
    command,
    cwd: resolve(base, config.export.cwd ?? '.'),
    output: resolve(base, config.output),
  };
}

/**
 * Every generated file's name and contents, as the export command writes them into a scratch
 * directory.
 * @param {Config} config
 * @returns {Promise<Files>}
 */
export async function generate(config) {
  const scratch = mkdtempSync(join(tmpdir(), 'mizan-generate-'));
  try {
    const [program = '', ...args] = config.command;
    const run = spawnSync(program, [...args, 'export', 'typescript', '--out', scratch], {
      cwd: config.cwd,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (run.error) throw new GenerateError(`cannot run \`${program}\`: ${run.error.message}`);
    if (run.status !== 0) {
      throw new GenerateError(`the export command failed (exit ${run.status}): ${config.command.join(' ')} export typescript`);
    }
    const files = new Map(readdirSync(scratch).sort().map((name) => [name, readFileSync(join(scratch, name), 'utf8')]));
    for (const name of REQUIRED) {
      if (!files.has(name)) {
        throw new GenerateError(
          `the export command wrote no ${name}: the app's mizan is older than this mizan-react (update the one or the other)`,
        );
      }
    }
    return files;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The files of `output` that differ from `files`: stale, missing, or left over.
 * @param {Files} files
 * @param {string} output
 * @returns {string[]}
 */
export function compare(files, output) {
  const problems = [];
  for (const [name, contents] of files) {
    const path = join(output, name);
    if (!existsSync(path)) problems.push(`missing: ${name}`);
    else if (readFileSync(path, 'utf8') !== contents) problems.push(`stale: ${name}`);
  }
  if (existsSync(output)) {
    for (const name of readdirSync(output).filter(isGenerated)) {
      if (!files.has(name)) problems.push(`left over: ${name}`);
    }
  }
  return problems;
}

/**
 * Whether `name` in the output directory is one of mizan-generate's files (or was).
 * @param {string} name
 */
function isGenerated(name) {
  return name.startsWith('generated.') || name.startsWith('mizan.') || name === 'index.ts';
}

/**
 * Writes the files that changed and removes generated files no longer made (a removed
 * function's, say); returns the names it wrote or removed.
 * @param {Files} files
 * @param {string} output
 * @returns {string[]}
 */
export function write(files, output) {
  const changed = [];
  for (const name of readdirSync(output).filter(isGenerated)) {
    if (!files.has(name)) {
      rmSync(join(output, name));
      changed.push(name);
    }
  }
  for (const [name, contents] of files) {
    const path = join(output, name);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== contents) {
      writeFileSync(path, contents);
      changed.push(name);
    }
  }
  return changed;
}

/**
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
async function main(argv) {
  const options = parseArgs(argv);
  if (options.help) {
    console.log(`${USAGE}\n\nRuns the app's \`export typescript\` command and writes the generated TypeScript.`);
    return 0;
  }
  const config = await loadConfig(options.config);
  const files = await generate(config);
  const where = relative(process.cwd(), config.output) || '.';
  if (options.check) {
    const problems = compare(files, config.output);
    if (problems.length > 0) {
      console.error(`mizan-generate --check: ${where} is not what the functions generate:\n  ${problems.join('\n  ')}\nrun \`npx mizan-generate\` and commit the result`);
      return 1;
    }
    console.log(`mizan-generate --check: ${where} is up to date (${files.size} files)`);
    return 0;
  }
  mkdirSync(config.output, { recursive: true });
  const changed = write(files, config.output);
  console.log(`mizan-generate: ${changed.length} of ${files.size} files changed in ${where}`);
  return 0;
}

// Run as a command (also through npm's bin link), not when imported by the tests.
const invoked = process.argv[1] !== undefined && existsSync(process.argv[1]) && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invoked) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof GenerateError ? `mizan-generate: ${error.message}` : error);
      process.exit(error instanceof GenerateError ? 2 : 1);
    },
  );
}
