import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { BicepUnavailableError, findBicep } from '../../lib/dev/bicep/cli.js';
import { compileInfra } from '../../lib/dev/bicep/infra.js';

/**
 * Compiles infra/ once per test run (and not at all when infra/ is unchanged since the last run:
 * the JSON is cached by content hash) and hands the result to the infra tests via
 * `inject('bicep')`. Never throws: a missing or broken CLI becomes a status the tests report —
 * skipped with a note when no CLI can be had, failed when DW_REQUIRE_BICEP=1 or a restore broke.
 */
export default async function setup(project: TestProject) {
  const started = Date.now();
  try {
    const cli = await findBicep();
    const compiled = await compileInfra(cli, join(tmpdir(), 'driftwarden-bicep'));
    project.provide('bicep', {
      status: 'ok',
      source: cli.source,
      version: cli.version,
      command: cli.command,
      ...compiled,
      setupMs: Date.now() - started,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    project.provide('bicep', {
      status: error instanceof BicepUnavailableError ? 'unavailable' : 'error',
      message,
    });
  }
}
