import type { Config } from '../config.js';
import type { Control } from '../controls/types.js';
import type { EvidenceStore } from '../evidence/types.js';
import type { ExceptionStore } from '../exceptions/types.js';
import type { ReportArchive } from '../report/archive.js';
import type { Clock } from '../util/clock.js';
import type { Principal } from './auth.js';
import type { Restorer } from './restorer.js';

/** Everything the API handlers touch, injected (functions/ build it from config; tests from Azurite). */
export interface ApiDeps {
  evidence: EvidenceStore;
  exceptions: ExceptionStore;
  /** the control catalog; modes in force are derived from config */
  controls: readonly Control[];
  config: Config;
  restorer: Restorer;
  clock: Clock;
  /** parsed DW_DEV_PRINCIPAL, or null (production) */
  devPrincipal: Principal | null;
  /** the reports container (GET /api/reports); absent: those routes answer 501 */
  reports?: ReportArchive;
}
