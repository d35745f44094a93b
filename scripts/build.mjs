#!/usr/bin/env node
// `npm run build`: bundles the two entry points with esbuild.
//   functions/index.ts → dist/functions/index.js  what the Functions host loads (package.json "main")
//   bin/cli.ts         → dist/cli.js              the `driftwarden` command (bin/driftwarden.js)
// Plain Node ESM so it runs before anything is built, without tsx.
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Inputs the deployed bundle must never contain: developer tooling, tests, benchmarks. */
const NEVER_DEPLOYED = /^(lib\/dev|test|bench)\//;

// Bundled CommonJS dependencies (@azure/functions among them) call require(); ESM output has none,
// so give the bundle one. It also reaches @azure/functions-core: the Functions worker provides
// that module by intercepting Module.prototype.require, which createRequire's require goes through.
const REQUIRE_BANNER =
  "import { createRequire as __dwCreateRequire } from 'node:module'; const require = __dwCreateRequire(import.meta.url);";

/**
 * Optional pre-step owned by the web page: scripts/build-page.mjs generates the inlined page
 * source. It either does its work when imported (a plain script) or exports a default function.
 */
async function buildPage() {
  const page = join(root, 'scripts/build-page.mjs');
  if (!existsSync(page)) return;
  const module = await import(pathToFileURL(page).href);
  if (typeof module.default === 'function') await module.default();
}

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
 * Builds both bundles; returns their paths (relative to the repository) and the functions
 * bundle's metafile.
 * @param {{ log?: (line: string) => void }} [options]
 */
export async function build({ log = (line) => console.error(line) } = {}) {
  const started = performance.now();
  const esbuild = await import('esbuild');
  await buildPage();
  /** @type {import('esbuild').BuildOptions} */
  const common = {
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
    metafile: true,
    write: false,
    logLevel: 'warning',
  };
  const [functions, cli] = await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: ['functions/index.ts'],
      outfile: 'dist/functions/index.js',
      // Provided by the Functions host at run time; not an npm package.
      external: ['@azure/functions-core'],
    }),
    esbuild.build({
      ...common,
      entryPoints: ['bin/cli.ts'],
      outfile: 'dist/cli.js',
      // The developer commands start Azurite from its package (resolved at run time, never bundled).
      external: ['@azure/functions-core'],
    }),
  ]);
  assertNothingUndeployable(functions.metafile, 'dist/functions/index.js');
  await writeAtomically([...functions.outputFiles, ...cli.outputFiles]);
  const outputs = [...functions.outputFiles, ...cli.outputFiles]
    .filter((file) => file.path.endsWith('.js'))
    .map((file) => `${relative(root, file.path)} (${Math.round(file.contents.length / 1024)} KiB)`);
  log(`built ${outputs.join(', ')} in ${Math.round(performance.now() - started)} ms`);
  return { functionsMetafile: functions.metafile };
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
