import type { TestProject } from 'vitest/node';
import { startAzurite } from '../../lib/dev/local/azurite.js';
import { buildPage } from '../../scripts/build-page.mjs';

/**
 * One in-memory Azurite for the whole run, on free ports. Tests read it with
 * `inject('azurite')` and use a unique table/container/queue name per test so they never collide.
 */
export default async function setup(project: TestProject) {
  // GET /api/ui serves lib/api/ui/page.generated.ts (git-ignored): a fresh clone has none until built.
  await buildPage();
  const azurite = await startAzurite();
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
