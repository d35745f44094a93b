import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { startAzurite } from '../../lib/dev/local/azurite.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Rebuilds dist/ (scripts/build.mjs, about a second): tests that spawn bin/driftwarden.js run
 * dist/cli.js, and bin/driftwarden.js builds only when it is missing, so without this they would
 * test whatever was built last rather than the sources under test.
 */
async function buildDist(): Promise<void> {
  await promisify(execFile)(process.execPath, ['scripts/build.mjs'], { cwd: repo });
}

/**
 * One in-memory Azurite for the whole run, on free ports. Tests read it with
 * `inject('azurite')` and use a unique table/container/queue name per test so they never collide.
 */
export default async function setup(project: TestProject) {
  // scripts/build.mjs also writes lib/api/ui/page.generated.ts (git-ignored) that GET /api/ui serves.
  const [started, built] = await Promise.allSettled([startAzurite(), buildDist()]);
  if (built.status === 'rejected') {
    if (started.status === 'fulfilled') await started.value.stop();
    throw built.reason;
  }
  if (started.status === 'rejected') throw started.reason;
  const azurite = started.value;
  project.provide('azurite', {
    connectionString: azurite.connectionString,
    tableEndpoint: azurite.tableEndpoint,
    blobEndpoint: azurite.blobEndpoint,
    queueEndpoint: azurite.queueEndpoint,
  });
  return async () => {
    await azurite.stop();
  };
}
