#!/usr/bin/env node
// `npm run package`: builds, then writes dist/driftwarden-functions.zip, the deployment package
// for `az functionapp deploy --src-path dist/driftwarden-functions.zip --type zip` (Flex
// Consumption one-deploy) or `az functionapp deployment source config-zip`.
// It holds exactly what the Functions host loads: host.json, a package.json naming the entry, and
// the bundle (entry, lazily loaded chunks, source maps). No node_modules: every dependency is
// bundled, and the one external module, @azure/functions-core, is provided by the Functions host.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from './build.mjs';
import { zip } from './zip.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
export const PACKAGE_PATH = 'dist/driftwarden-functions.zip';

/** The deployed package.json: what the host reads (type, main) and what identifies the build. */
async function deployedManifest() {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const { name, version, description, type, main, engines } = pkg;
  return `${JSON.stringify({ name, version, description, private: true, type, main, engines }, null, 2)}\n`;
}

export async function packageFunctions({ log = (/** @type {string} */ line) => console.error(line) } = {}) {
  const { functionsFiles } = await build({ log });
  const manifest = await deployedManifest();
  const { main } = JSON.parse(manifest);
  if (!functionsFiles.includes(main))
    throw new Error(`package.json main ${main} is not what the build wrote`);
  const files = ['host.json', ...functionsFiles];
  const entries = [
    { name: 'package.json', data: Buffer.from(manifest) },
    ...(await Promise.all(files.map(async (name) => ({ name, data: await readFile(join(root, name)) })))),
  ].sort((a, b) => a.name.localeCompare(b.name));
  const archive = zip(entries);
  await writeFile(join(root, PACKAGE_PATH), archive);
  log(`packaged ${PACKAGE_PATH}: ${entries.length} files, ${Math.round(archive.length / 1024)} KiB`);
  return { path: PACKAGE_PATH, entries: entries.map((entry) => entry.name), bytes: archive.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await packageFunctions();
}
