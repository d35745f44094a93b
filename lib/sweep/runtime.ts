import type { QueueClient } from '@azure/storage-queue';
import type { EvidenceStore } from '../evidence/types.js';
import type { ExceptionStore } from '../exceptions/types.js';
import type { IdentityRuntime } from '../identity/run.js';
import type { ReportService } from '../report/service.js';
import type { ReportSources } from './fanout.js';
import type { SweepDeps } from './run.js';
import type { ArmThrottle } from './throttle.js';

/**
 * Everything the sweep functions and the CLI need; built once per process by the composition
 * root (lib/app/app.ts `App.sweep()`), with the same stores, ARM clients and throttle as the
 * event path.
 */
export interface SweepRuntime extends SweepDeps, ReportSources {
  subscriptions: readonly string[];
  evidence: EvidenceStore;
  exceptions: ExceptionStore;
  queue: QueueClient;
  throttle: ArmThrottle;
  log: (line: string) => void;
  /** period reports: the monthly timer writes the previous month's (absent in runtimes built by hand) */
  periodReports?: () => Promise<ReportService>;
  /** identity validation, run by the monthly timer with the sweep (null/absent: not configured) */
  identity?: () => Promise<IdentityRuntime | null>;
}
