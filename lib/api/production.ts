import { remediatorVersion } from '../app/dependencies.js';
import { type Config, loadConfig } from '../config.js';
import { CONTROLS } from '../controls/catalog.js';
import { createEvidenceStore } from '../evidence/table-store.js';
import type { EvidenceStore } from '../evidence/types.js';
import { createExceptionStore } from '../exceptions/table-store.js';
import type { ExceptionStore } from '../exceptions/types.js';
import { onceUntilFailure } from '../util/once.js';
import { parseDevPrincipal } from './auth.js';
import { type ApiDeps, type Clock, systemClock } from './deps.js';
import { createRestorer, type Restorer } from './restorer.js';

/** The evidence store as the on-call paths use it (they read; the Restorer appends `restored` records). */
export function createOnCallEvidenceStore(
  config: Config,
  clock: Clock = systemClock,
): Promise<EvidenceStore> {
  return createEvidenceStore(config, {
    remediatorIdentity: config.selfObjectId ?? config.selfAppId ?? 'driftwarden',
    remediatorVersion: remediatorVersion(),
    clock: () => clock.now(),
  });
}

export function createOnCallExceptionStore(
  config: Config,
  clock: Clock = systemClock,
): Promise<ExceptionStore> {
  return createExceptionStore(config, { clock: () => clock.now() });
}

/** Real dependencies from configuration: table stores, the catalog, the ARM Restorer, the dev principal. */
export async function createApiDeps(
  config: Config,
  options: { restorer?: Restorer; clock?: Clock } = {},
): Promise<ApiDeps> {
  const clock = options.clock ?? systemClock;
  const devPrincipal = config.devPrincipal ? parseDevPrincipal(config.devPrincipal) : null;
  const [evidence, exceptions] = await Promise.all([
    createOnCallEvidenceStore(config, clock),
    createOnCallExceptionStore(config, clock),
  ]);
  return {
    evidence,
    exceptions,
    controls: CONTROLS,
    config,
    restorer: options.restorer ?? createRestorer(config),
    clock,
    devPrincipal,
  };
}

/** Once per process (first request), from the app settings; a failure is not cached, so a fixed setting recovers. */
export const apiDepsFromEnvironment: () => Promise<ApiDeps> = onceUntilFailure(() =>
  createApiDeps(loadConfig()),
);
