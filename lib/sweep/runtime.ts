import type { TokenCredential } from '@azure/core-auth';
import type { QueueClient } from '@azure/storage-queue';
import { createDependencies, type DependencyOverrides, intentsTableName } from '../app/dependencies.js';
import { type ArmConnection, armConnectionFromConfig } from '../azure/clients.js';
import { createTableClient } from '../azure/tables.js';
import type { Config } from '../config.js';
import type { EvidenceStore } from '../evidence/types.js';
import { createExceptionStore } from '../exceptions/table-store.js';
import type { ExceptionStore } from '../exceptions/types.js';
import { TableIntentStore } from '../remediation/intents.js';
import { CachedExceptionStore, PrefetchedIntentStore } from './caching.js';
import type { ReportSources } from './fanout.js';
import { SweepReportStore } from './report-store.js';
import type { SweepDeps } from './run.js';
import { createReportsContainerClient, createSweepQueueClient } from './storage.js';
import { ArmThrottle } from './throttle.js';

/**
 * Everything the sweep functions and the CLI need, built once per process from configuration
 * (lib/sweep/functions.ts) or by tests from the sandbox and Azurite.
 */
export interface SweepRuntime extends SweepDeps, ReportSources {
  subscriptions: readonly string[];
  evidence: EvidenceStore;
  exceptions: ExceptionStore;
  queue: QueueClient;
  throttle: ArmThrottle;
  log: (line: string) => void;
}

/**
 * The ARM connection the sweep (and the engine it drives) uses: the base connection plus the
 * per-subscription token buckets installed inside the SDK retry loop (`perRetry`), and a little
 * more retry headroom than the SDK's default 3 so a burst of 429s from other callers sharing the
 * subscription's ARM quota is ridden out rather than failing the subscription.
 */
export function sweepArmConnection(base: ArmConnection, throttle: ArmThrottle): ArmConnection {
  const options = base.clientOptions ?? {};
  return {
    ...base,
    clientOptions: {
      ...options,
      retryOptions: { maxRetries: 6, ...options.retryOptions },
      additionalPolicies: [
        ...(options.additionalPolicies ?? []),
        { policy: throttle.policy(), position: 'perRetry' },
      ],
    },
  };
}

export interface SweepRuntimeOverrides extends Omit<DependencyOverrides, 'armConnection'> {
  /** base ARM connection (the sandbox in local mode and tests); the sweep adds its throttle to it */
  armConnection?: ArmConnection;
  /** storage credential for identity-based blob/queue settings (default DefaultAzureCredential) */
  storageCredential?: TokenCredential;
  throttle?: ArmThrottle;
}

/**
 * Builds the sweep runtime from configuration. The remediation engine and stores come from the
 * shared composition root (lib/app/dependencies.ts) — same engine, same evidence chain as the
 * event path — with ARM clients that carry the sweep's throttle.
 */
export async function createSweepRuntime(
  config: Config,
  overrides: SweepRuntimeOverrides = {},
): Promise<SweepRuntime> {
  const { armConnection, storageCredential, throttle = new ArmThrottle(), ...rest } = overrides;
  const intentsTable = createTableClient(config.storage, intentsTableName(config), rest.tableClientOptions);
  const exceptions = rest.exceptions ?? (await createExceptionStore(config));
  const deps = await createDependencies(config, {
    // A write may queue behind the write bucket for a while; the event path's 20 s bound is too tight here.
    armOperationTimeoutMs: 120_000,
    ...rest,
    // per-resource reads the engine makes, answered in bulk for a sweep (see caching.ts)
    exceptions: new CachedExceptionStore(exceptions),
    intents: rest.intents ?? new PrefetchedIntentStore(new TableIntentStore(intentsTable), intentsTable),
    armConnection: sweepArmConnection(armConnection ?? armConnectionFromConfig(config), throttle),
  });
  return {
    subscriptions: config.subscriptions,
    arm: deps.arm,
    engine: deps.engine,
    evidence: deps.evidence,
    exceptions,
    reports: new SweepReportStore(createReportsContainerClient(config, storageCredential)),
    queue: createSweepQueueClient(config, storageCredential),
    throttle,
    log: deps.log,
    now: deps.clock,
  };
}
