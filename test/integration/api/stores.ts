import { randomBytes } from 'node:crypto';
import type { ApiDeps } from '../../../lib/api/deps.js';
import { createApp } from '../../../lib/app/app.js';
import { loadConfig } from '../../../lib/config.js';
import { CONTROLS } from '../../../lib/controls/catalog.js';
import type { EvidenceStore } from '../../../lib/evidence/types.js';
import type { ExceptionStore } from '../../../lib/exceptions/types.js';
import { type Clock, systemClock } from '../../../lib/util/clock.js';

export interface ApiStores {
  evidence: EvidenceStore;
  exceptions: ExceptionStore;
  /** real dependencies over fresh tables; `restorer` is the production ARM Restorer (tests without ARM replace it) */
  deps: ApiDeps;
}

/**
 * The evidence store's clock: starts `hoursAgo` in the past and advances one second per reading,
 * so seeded records get distinct, ordered times (the store stamps records with its clock).
 */
export function steppingClock(hoursAgo = 6): Clock {
  let next = Date.now() - hoursAgo * 3_600_000;
  return () => {
    next += 1000;
    return new Date(next);
  };
}

/** Real table stores on Azurite, on tables no other test uses, built by the same factories as production. */
export async function createApiStores(connectionString: string): Promise<ApiStores> {
  const suffix = randomBytes(6).toString('hex');
  const config = loadConfig({
    DW_STORAGE: connectionString,
    DW_EVIDENCE_TABLE: `apiev${suffix}`,
    DW_EXCEPTIONS_TABLE: `apiex${suffix}`,
  });
  const [evidence, exceptions] = await Promise.all([
    createApp(config, { clock: steppingClock() }).evidence(),
    createApp(config).exceptions(),
  ]);
  return {
    evidence,
    exceptions,
    deps: {
      evidence,
      exceptions,
      controls: CONTROLS,
      config,
      restorer: createApp(config).restorer,
      clock: systemClock,
      devPrincipal: null,
    },
  };
}
