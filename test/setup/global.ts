import type { TestProject } from 'vitest/node';
import { startAzurite } from '../../lib/dev/local/azurite.js';

/**
 * One in-memory Azurite for the whole run, on free ports. Tests read it with
 * `inject('azurite')` and use a unique table/container/queue name per test so they never collide.
 */
export default async function setup(project: TestProject) {
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
