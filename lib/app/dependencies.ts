import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { ArmClients, type ArmConnection, armConnectionFromConfig } from '../azure/clients.js';
import { ArmResourceGateway } from '../azure/resources.js';
import { createTableClient, type TableClientOptions } from '../azure/tables.js';
import { type Config, loadConfig } from '../config.js';
import { evaluationSettingsFromConfig } from '../controls/settings.js';
import type { EvaluationSettings } from '../controls/types.js';
import { type HandleResult, handleResourceChange } from '../events/handle.js';
import { createEvidenceStore } from '../evidence/table-store.js';
import type { EvidenceStore } from '../evidence/types.js';
import { createExceptionStore } from '../exceptions/table-store.js';
import type { ExceptionStore } from '../exceptions/types.js';
import type { EventGridNotifierOptions } from '../notify/eventgrid.js';
import { RemediationEngine } from '../remediation/engine.js';
import { TableIntentStore } from '../remediation/intents.js';
import { type ModeResolver, modeResolver } from '../remediation/modes.js';
import type { IntentStore, Notifier } from '../remediation/types.js';
import { onceUntilFailure } from '../util/once.js';
import { packageVersion } from '../util/package-version.js';

/**
 * Composition root of the automatic-response path: everything built once per process from
 * validated configuration. functions/ and local mode call it; tests pass overrides (the
 * sandbox's ARM connection, an Azurite connection in config, a clock, a log sink).
 */

export interface DependencyOverrides {
  /** the ARM sandbox in local mode and tests; default DefaultAzureCredential + config.armEndpoint */
  armConnection?: ArmConnection;
  clock?: () => Date;
  log?: (line: string) => void;
  /** credential for the notification topic; default DefaultAzureCredential */
  notifyCredential?: TokenCredential;
  /** options for the notification publisher (tests: the agent trusting a local topic, retries, timeout) */
  notifyOptions?: EventGridNotifierOptions;
  /** options for the evidence/exception/intent table clients (e.g. retry tuning) */
  tableClientOptions?: TableClientOptions;
  /** already-built stores (tests that share one, or exercise failures) */
  evidence?: EvidenceStore;
  exceptions?: ExceptionStore;
  intents?: IntentStore;
  /** engine tuning: intent lease and the bound on one ARM call */
  leaseMs?: number;
  armOperationTimeoutMs?: number;
  armPollIntervalMs?: number;
}

export interface Dependencies {
  config: Config;
  clock: () => Date;
  log: (line: string) => void;
  arm: ArmClients;
  gateway: ArmResourceGateway;
  evidence: EvidenceStore;
  exceptions: ExceptionStore;
  intents: IntentStore;
  settings: EvaluationSettings;
  modes: ModeResolver;
  notifier: Notifier | null;
  engine: RemediationEngine;
  /** the Event Grid use case with these dependencies */
  handleEvent(event: unknown): Promise<HandleResult>;
}

/** package.json version, recorded with every evidence row. */
export function remediatorVersion(): string {
  return packageVersion();
}

/** Intent table next to the evidence table (`<evidence>Intents`, within the 63-character limit). */
export function intentsTableName(config: Pick<Config, 'evidenceTable'>): string {
  return `${config.evidenceTable.slice(0, 56)}Intents`;
}

export async function createDependencies(
  config: Config,
  overrides: DependencyOverrides = {},
): Promise<Dependencies> {
  const clock = overrides.clock ?? (() => new Date());
  const log = overrides.log ?? ((line: string) => console.log(line));
  // Bounded SDK retries: a transient ARM failure should fail the invocation in seconds and let
  // Event Grid redeliver, rather than hold the invocation for the SDK's full backoff.
  const base = overrides.armConnection ?? armConnectionFromConfig(config);
  const connection: ArmConnection = {
    ...base,
    clientOptions: {
      ...base.clientOptions,
      retryOptions: { maxRetries: 3, maxRetryDelayInMs: 4000, ...base.clientOptions?.retryOptions },
    },
  };
  const arm = new ArmClients(connection);
  const gateway = new ArmResourceGateway(arm, {
    operationTimeoutMs: overrides.armOperationTimeoutMs ?? 20_000,
    pollIntervalMs: overrides.armPollIntervalMs ?? 500,
  });

  const [evidence, exceptions] = await Promise.all([
    overrides.evidence ??
      createEvidenceStore(config, {
        remediatorIdentity: config.selfObjectId ?? config.selfAppId ?? 'driftwarden',
        remediatorVersion: remediatorVersion(),
        clock,
        clientOptions: overrides.tableClientOptions,
      }),
    overrides.exceptions ??
      createExceptionStore(config, { clock, clientOptions: overrides.tableClientOptions }),
  ]);
  const intents =
    overrides.intents ??
    new TableIntentStore(
      createTableClient(config.storage, intentsTableName(config), overrides.tableClientOptions),
    );

  const settings = evaluationSettingsFromConfig(config);
  const modes = modeResolver(config);
  // Loaded only when a topic is configured: @azure/eventgrid is a sizeable part of the bundle that
  // most deployments never use, and a cold start should not pay for evaluating it.
  const notifier = config.notifyTopicEndpoint
    ? new (await import('../notify/eventgrid.js')).EventGridNotifier(
        config.notifyTopicEndpoint,
        overrides.notifyCredential ?? new DefaultAzureCredential(),
        overrides.notifyOptions,
      )
    : null;
  const engine = new RemediationEngine({
    gateway,
    evidence,
    exceptions,
    intents,
    settings,
    modes,
    clock,
    log,
    ...(notifier ? { notifier } : {}),
    ...(overrides.leaseMs !== undefined ? { leaseMs: overrides.leaseMs } : {}),
  });
  return {
    config,
    clock,
    log,
    arm,
    gateway,
    evidence,
    exceptions,
    intents,
    settings,
    modes,
    notifier,
    engine,
    handleEvent: (event) =>
      handleResourceChange(event, {
        engine,
        selfObjectId: config.selfObjectId,
        selfAppId: config.selfAppId,
        log,
      }),
  };
}

/** Once per process, from the app settings; a failure is not cached, so a fixed setting recovers. */
export const dependenciesFromEnvironment: (log?: (line: string) => void) => Promise<Dependencies> =
  onceUntilFailure((log?: (line: string) => void) => createDependencies(loadConfig(), log ? { log } : {}));
