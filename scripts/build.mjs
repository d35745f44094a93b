#!/usr/bin/env node
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildPage } from './build-page.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const FUNCTIONS_DIR = 'dist/functions';

/** Inputs the deployed bundle must never contain: developer tooling, tests, benchmarks. */
const NEVER_DEPLOYED = /^(lib\/dev|test|bench)\//;

// Bundled CommonJS dependencies (@azure/functions among them) call require(); ESM output has none,
// so give the bundle one. It also reaches @azure/functions-core: the Functions worker provides
// that module by intercepting Module.prototype.require, which createRequire's require goes through.
const REQUIRE_BANNER =
  "import { createRequire as __dwCreateRequire } from 'node:module'; const require = __dwCreateRequire(import.meta.url);";

/**
 * How driftwarden is bundled (both bundles; bench/sweep.bench.ts bundles its sweep child the same
 * way, so its memory figures are the deployed code's).
 * @type {import('esbuild').BuildOptions}
 */
export const BUNDLE_OPTIONS = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Linked map without sources: stack traces map back (node --enable-source-maps), small file.
  sourcemap: 'linked',
  sourcesContent: false,
  // Whitespace and syntax only: identifiers (and so class and function names in stack traces
  // and error names) stay as written.
  minifyWhitespace: true,
  minifySyntax: true,
  banner: { js: REQUIRE_BANNER },
  legalComments: 'none',
  // Provided by the Functions host at run time; not an npm package.
  external: ['@azure/functions-core'],
  metafile: true,
  write: false,
  logLevel: 'warning',
};

/**
 * Writes each output to a temporary name, then renames it: a process that imports dist/cli.js
 * while another builds it sees the old file or the new one, never half of one.
 * @param {import('esbuild').OutputFile[]} files
 */
async function writeAtomically(files) {
  for (const file of files) {
    await mkdir(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
  }
}

/**
 * @param {import('esbuild').Metafile} metafile
 * @param {string} bundle
 */
function assertNothingUndeployable(metafile, bundle) {
  const offending = Object.keys(metafile.inputs).filter((input) => NEVER_DEPLOYED.test(input));
  if (offending.length > 0) {
    throw new Error(
      `${bundle} must not include developer tooling or tests, but bundles: ${offending.join(', ')}`,
    );
  }
}

/**
 * Removes files a previous build left in `dir` (chunks are content-hashed, so an edit renames
 * them), after the new ones are in place.
 * @param {string} dir
 * @param {import('esbuild').OutputFile[]} files
 */
async function removeStale(dir, files) {
  const current = new Set(files.map((file) => relative(dir, file.path)));
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = relative(dir, join(entry.parentPath ?? entry.path, entry.name));
    if (!current.has(path)) await rm(join(dir, path), { force: true });
  }
}

/**
 * Builds both bundles. Returns the functions bundle's files (paths relative to the repository):
 * the entry, its lazily loaded chunks and their maps, which is what the deployment package holds.
 * @param {{ log?: (line: string) => void }} [options]
 */
export async function build({ log = (line) => console.error(line) } = {}) {
  const started = performance.now();
  const esbuild = await import('esbuild');
  // The page's markup, CSS and script are inlined into a generated module the bundle imports.
  await buildPage();
  const common = BUNDLE_OPTIONS;
  const [functions, cli] = await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: ['functions/index.ts'],
      outdir: FUNCTIONS_DIR,
      entryNames: '[name]',
      // What the code loads with import() (the ARM SDKs, @azure/eventgrid) goes to chunks of its
      // own, read only when first used: a cold start reads and compiles the rest alone.
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
    }),
    // One file: spawned CLIs (tests) may run while another process rebuilds it, and a
    // renamed-into-place single file is never seen half-written or missing a chunk.
    esbuild.build({ ...common, entryPoints: ['bin/cli.ts'], outfile: 'dist/cli.js' }),
  ]);
  assertNothingUndeployable(functions.metafile, `${FUNCTIONS_DIR}/`);
  await writeAtomically([...functions.outputFiles, ...cli.outputFiles]);
  await removeStale(join(root, FUNCTIONS_DIR), functions.outputFiles);
  const entryFiles = [...functions.outputFiles, ...cli.outputFiles].filter(
    (file) => file.path.endsWith('.js') && !file.path.includes('/chunks/'),
  );
  const summary = entryFiles.map(
    (file) => `${relative(root, file.path)} (${Math.round(file.contents.length / 1024)} KiB)`,
  );
  const chunks = functions.outputFiles.filter((file) => file.path.endsWith('.js')).length - 1;
  log(`built ${summary.join(', ')}, ${chunks} lazy chunks, in ${Math.round(performance.now() - started)} ms`);
  return { functionsFiles: functions.outputFiles.map((file) => relative(root, file.path)).sort() };
}

/** True when esbuild (a devDependency) cannot be loaded, e.g. after `npm install --omit=dev`. */
export async function esbuildMissing() {
  try {
    await import('esbuild');
    return false;
  } catch (error) {
    return /** @type {{ code?: unknown }} */ (error).code === 'ERR_MODULE_NOT_FOUND';
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // `--if-possible` (the prepare script): an install without dev dependencies has no esbuild and
  // nothing to build with; say so instead of failing the install.
  if (process.argv.includes('--if-possible') && (await esbuildMissing())) {
    console.error('driftwarden: esbuild is not installed (dev dependency); skipping the build');
  } else {
    try {
      await build();
    } catch (error) {
      // esbuild has already printed its own diagnostics; one line says why the build stopped.
      console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  }
}
