import type { TokenCredential } from '@azure/core-auth';
import type { TableServiceClientOptions } from '@azure/data-tables';
import { DefaultAzureCredential } from '@azure/identity';
import { type Anchoring, createAnchoring, type KeyVaultConnection, overdueMs } from '../anchor/anchoring.js';
import type { DigestBody } from '../anchor/digest.js';
import { toVerifyResult, verifyAgainstAnchors } from '../anchor/verify-anchors.js';
import { parseDevPrincipal } from '../api/auth.js';
import type { ApiDeps } from '../api/deps.js';
import type { Restorer } from '../api/restorer.js';
import { ArmClients, type ArmConnection } from '../azure/clients.js';
import type { RelatedReadOptions } from '../azure/related-reader.js';
import { ArmResourceGateway } from '../azure/resources.js';
import { TablePacer } from '../azure/table-pacing.js';
import { createTableClient } from '../azure/tables.js';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { isAuditWorkspace } from '../controls/audit-workspaces.js';
import { CONTROLS } from '../controls/catalog.js';
import { identitySettingsFromConfig } from '../controls/identity-settings.js';
import { evaluationSettingsFromConfig } from '../controls/settings.js';
import type { EvaluationSettings } from '../controls/types.js';
import { type HandleDeps, type HandleResult, handleResourceChange } from '../events/handle.js';
import { createEvidenceStore, TableEvidenceStore } from '../evidence/table-store.js';
import type { EvidenceRecord, EvidenceStore, VerifyResult } from '../evidence/types.js';
import { createExceptionStore } from '../exceptions/table-store.js';
import type { ExceptionStore } from '../exceptions/types.js';
import { GraphClient, type GraphConnection } from '../identity/graph-client.js';
import type { IdentityRuntime } from '../identity/run.js';
import type { EventGridNotifierOptions } from '../notify/eventgrid.js';
import { crossCheckPolicy } from '../policy/cross-check.js';
import { ArmPolicyStatesReader } from '../policy/states.js';
import { RemediationEngine } from '../remediation/engine.js';
import { TableIntentStore } from '../remediation/intents.js';
import { type ModeResolver, modeResolver } from '../remediation/modes.js';
import { approveRestore, previewRestore, restoreRemediation } from '../remediation/restore.js';
import type { IntentStore, Notifier } from '../remediation/types.js';
import { ReportArchive } from '../report/archive.js';
import { ReportService } from '../report/service.js';
import { TableEvidenceSource } from '../report/source.js';
import { CachedExceptionStore, PrefetchedIntentStore } from '../sweep/caching.js';
import { SweepReportStore } from '../sweep/report-store.js';
import type { SweepRuntime } from '../sweep/runtime.js';
import { createReportsContainerClient, createSweepQueueClient } from '../sweep/storage.js';
import { ArmThrottle } from '../sweep/throttle.js';
import { type Clock, systemClock } from '../util/clock.js';
import { onceUntilFailure } from '../util/once.js';
import { packageVersion } from '../util/package-version.js';

/**
 * The composition root: everything a process needs, built once from validated configuration.
 * The event path, the sweep, the HTTP API, restore and local mode all take their parts from one
 * App, so a process serving every path holds one credential (one token cache), one set of ARM
 * clients (one per service and subscription, with the per-subscription ARM token buckets), one
 * store per table (so the evidence store's in-process group commit spans every path) and one
 * clock. Parts are built on first use: a process that only serves the API never builds ARM
 * clients or the engine.
 *
 * functions/ reach it through appFromEnvironment(); tests and benches call createApp() with
 * overrides (the sandbox's ARM connection, Azurite in config, a clock, a log sink).
 */
export interface AppOverrides {
  /** one credential for ARM, storage and the notification topic (default DefaultAzureCredential) */
  credential?: TokenCredential;
  /** base ARM connection (the sandbox in local mode and tests); the app adds retries and the throttle */
  armConnection?: ArmConnection;
  clock?: Clock;
  log?: (line: string) => void;
  /** credential for the notification topic only (tests: a local topic's stand-in) */
  notifyCredential?: TokenCredential;
  /** options for the notification publisher (tests: the agent trusting a local topic, retries, timeout) */
  notifyOptions?: EventGridNotifierOptions;
  /** options for the evidence/exception/intent table clients (e.g. retry tuning) */
  tableClientOptions?: TableServiceClientOptions;
  /** paces every Table request of the app against the account's targets (benches: a slower model) */
  tablePacer?: TablePacer;
  /** already-built stores (tests that share one, or exercise failures) */
  evidence?: EvidenceStore;
  exceptions?: ExceptionStore;
  intents?: IntentStore;
  throttle?: ArmThrottle;
  /** engine tuning: intent lease and the bound on one ARM call on the event path */
  leaseMs?: number;
  armOperationTimeoutMs?: number;
  armPollIntervalMs?: number;
  /** how the digest signer reaches Key Vault (local mode and tests: the stand-in's TLS agent) */
  keyVault?: KeyVaultConnection;
  /** Graph connection parts (tests and local mode: the sandbox's TLS agent); endpoint defaults to DW_GRAPH_ENDPOINT */
  graph?: Partial<GraphConnection>;
  /**
   * how long the event path and the API may reuse the exceptions they read (default
   * config.exceptionsCacheMs, 5,000 ms; 0 = read per event). Writes through this app (API, CLI,
   * restore) invalidate at once.
   */
  exceptionsCacheMs?: number;
  /** sub-chains per subscription and month for new evidence (default config.evidenceSubChains, 16; 1 = one chain) */
  evidenceSubChains?: number;
}

/** What the event path (and restore) runs with. */
export interface Dependencies {
  config: Config;
  clock: Clock;
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
  /** what the Event Grid use case runs with (`log`: e.g. the invocation's) */
  handlerDeps(log?: (line: string) => void): HandleDeps;
  /** the Event Grid use case with these dependencies */
  handleEvent(event: unknown): Promise<HandleResult>;
}

export interface App {
  readonly config: Config;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  readonly credential: TokenCredential;
  readonly throttle: ArmThrottle;
  /** ARM SDK clients shared by every path */
  arm(): ArmClients;
  evidence(): Promise<EvidenceStore>;
  exceptions(): Promise<ExceptionStore>;
  intents(): Promise<IntentStore>;
  /** the automatic-response path */
  eventPath(): Promise<Dependencies>;
  /** the monthly validation sweep (functions and CLI) */
  sweep(): Promise<SweepRuntime>;
  /** the on-call HTTP API */
  api(): Promise<ApiDeps>;
  /** period reports, samples and the report archive (CLI `report`/`audit`, the monthly timer, the API) */
  reports(): Promise<ReportService>;
  /** identity validation over Microsoft Graph (null when DW_IDENTITY_ENABLED=false) */
  identity(): Promise<IdentityRuntime | null>;
  /** on-call restore over the event path's gateway, stores and notifier */
  readonly restorer: Restorer;
  /** signed digests (null when DW_SIGNING_KEY_ID is not set) */
  anchoring(): Anchoring | null;
  /** publishes a digest of the chains that changed (no-op without anchoring or changes) */
  publishDigest(reason: DigestBody['reason']): Promise<void>;
  /** verifies a period: against the digests when anchoring is set up, else the table alone */
  verifyPeriod(period: { from?: Date | null; to?: Date | null }): Promise<VerifyResult>;
}

/** The version evidence records name (package.json, wherever the running bundle or source is). */
export function remediatorVersion(): string {
  return packageVersion();
}

/** Intent table next to the evidence table (`<evidence>Intents`, within the 63-character limit). */
export function intentsTableName(config: Pick<Config, 'evidenceTable'>): string {
  return `${config.evidenceTable.slice(0, 56)}Intents`;
}

/**
 * The one ARM connection: bounded SDK retries (a transient failure fails an event invocation in
 * seconds and Event Grid redelivers; the sweep rides out bursts of 429 from other callers sharing
 * the subscription's quota) and the per-subscription token buckets installed inside the SDK retry
 * loop (`perRetry`, see throttle.ts) so every attempt, retry and LRO poll spends a token.
 */
function armConnection(base: ArmConnection, throttle: ArmThrottle): ArmConnection {
  const options = base.clientOptions ?? {};
  return {
    ...base,
    clientOptions: {
      ...options,
      retryOptions: { maxRetries: 6, maxRetryDelayInMs: 4000, ...options.retryOptions },
      additionalPolicies: [
        ...(options.additionalPolicies ?? []),
        { policy: throttle.policy(), position: 'perRetry' },
      ],
    },
  };
}

export function createApp(config: Config, overrides: AppOverrides = {}): App {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? ((line: string) => console.log(line));
  const credential = overrides.credential ?? new DefaultAzureCredential();
  const throttle = overrides.throttle ?? new ArmThrottle();
  // one pacer for the storage account: chains, log shards, claims, intents and exceptions share its targets
  const tablePacer = overrides.tablePacer ?? new TablePacer();
  const tableOptions = {
    ...overrides.tableClientOptions,
    credential,
    additionalPolicies: [
      ...(overrides.tableClientOptions?.additionalPolicies ?? []),
      { policy: tablePacer.policy(), position: 'perRetry' as const },
    ],
  };
  const settings = evaluationSettingsFromConfig(config);
  const modes = modeResolver(config);

  const arm = onceSync(
    () =>
      new ArmClients(
        armConnection(overrides.armConnection ?? { credential, endpoint: config.armEndpoint }, throttle),
      ),
  );
  const anchoring = onceSync(() =>
    createAnchoring(config, {
      table: createTableClient(config.storage, config.evidenceTable, tableOptions),
      storageCredential: credential,
      keyVault: overrides.keyVault ?? { credential },
      clock,
      log,
    }),
  );
  const evidence = onceUntilFailure(async (): Promise<EvidenceStore> => {
    const store =
      overrides.evidence ??
      (await createEvidenceStore(config, {
        remediatorIdentity: config.selfObjectId ?? config.selfAppId ?? 'driftwarden',
        remediatorVersion: remediatorVersion(),
        clock,
        clientOptions: tableOptions,
        subChains: overrides.evidenceSubChains ?? config.evidenceSubChains,
      }));
    // Every append tells the publisher which chain changed: the digest covers it without a scan.
    const anchors = anchoring();
    if (anchors && store instanceof TableEvidenceStore)
      store.onAppended((chainIds) => anchors.publisher.markChanged(chainIds));
    return store;
  });
  async function publishDigest(reason: DigestBody['reason']): Promise<void> {
    const anchors = anchoring();
    if (!anchors) return;
    await evidence(); // the store's change notifications feed the publisher
    try {
      await (await exceptions()).recordExpiries?.(clock()); // expiries are evidence, anchored with the rest
    } catch (error) {
      log(
        `warning: recording exception expiries failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    await anchors.publisher.publishQuietly(reason);
  }
  async function verifyPeriod(period: {
    from?: Date | null;
    to?: Date | null;
    chainIds?: string[];
  }): Promise<VerifyResult> {
    const anchors = anchoring();
    if (!anchors) return (await evidence()).verify();
    const result = await verifyAgainstAnchors({
      table: createTableClient(config.storage, config.evidenceTable, tableOptions),
      digests: anchors.digests,
      trustedPublicKeyPem: await anchors.signer.publicKeyPem(),
      from: period.from ?? null,
      to: period.to ?? null,
      ...(period.chainIds ? { chainIds: period.chainIds } : {}),
      now: clock(),
      overdueMs: overdueMs(config),
    });
    return toVerifyResult(result);
  }
  const exceptions = onceUntilFailure(
    async (): Promise<ExceptionStore> =>
      overrides.exceptions ??
      createExceptionStore(config, { clock, clientOptions: tableOptions, evidence: await evidence(), log }),
  );
  // Every event would otherwise query the whole exceptions partition (expired rows included). One
  // cached view serves the event path, restore, the API and the CLI (app.exceptions()), so an
  // approval or revocation made through this app is seen by the next event; one made by another
  // instance (or a row changed behind the app's back) within the bound (default 5 s).
  const exceptionsCacheMs = overrides.exceptionsCacheMs ?? config.exceptionsCacheMs;
  const sharedExceptions = onceUntilFailure(async (): Promise<ExceptionStore> => {
    const store = await exceptions();
    return exceptionsCacheMs > 0 ? new CachedExceptionStore(store, exceptionsCacheMs) : store;
  });
  const intentsTable = onceSync(() =>
    createTableClient(config.storage, intentsTableName(config), tableOptions),
  );
  const intents = onceUntilFailure(
    async (): Promise<IntentStore> => overrides.intents ?? new TableIntentStore(intentsTable()),
  );
  // @azure/eventgrid is loaded only when a topic is configured (most deployments have none).
  const notifier = onceUntilFailure(async (): Promise<Notifier | null> => {
    if (!config.notifyTopicEndpoint) return null;
    const { EventGridNotifier } = await import('../notify/eventgrid.js');
    return new EventGridNotifier(
      config.notifyTopicEndpoint,
      overrides.notifyCredential ?? credential,
      overrides.notifyOptions,
    );
  });

  /** Beyond a resource's own references: audit workspaces' tables (LAW-RETENTION on), the DIAG destination. */
  const relatedReads: RelatedReadOptions = {
    tablesOf: (workspace) => modes('LAW-RETENTION') !== 'off' && isAuditWorkspace(workspace, settings),
    diagnosticWorkspaceId: settings.diagnosticWorkspaceId,
  };

  /** One engine over the given stores and a gateway bounded for its path. */
  function engineWith(parts: {
    evidence: EvidenceStore;
    exceptions: ExceptionStore;
    intents: IntentStore;
    notifier: Notifier | null;
    operationTimeoutMs: number;
  }): { gateway: ArmResourceGateway; engine: RemediationEngine } {
    const gateway = new ArmResourceGateway(arm(), {
      operationTimeoutMs: parts.operationTimeoutMs,
      pollIntervalMs: overrides.armPollIntervalMs ?? 500,
      related: relatedReads,
    });
    const engine = new RemediationEngine({
      gateway,
      evidence: parts.evidence,
      exceptions: parts.exceptions,
      intents: parts.intents,
      settings,
      modes,
      clock,
      log,
      ...(parts.notifier ? { notifier: parts.notifier } : {}),
      ...(overrides.leaseMs !== undefined ? { leaseMs: overrides.leaseMs } : {}),
    });
    return { gateway, engine };
  }

  const eventPath = onceUntilFailure(async (): Promise<Dependencies> => {
    const [evidenceStore, exceptionStore, intentStore, eventNotifier] = await Promise.all([
      evidence(),
      sharedExceptions(),
      intents(),
      notifier(),
    ]);
    const { gateway, engine } = engineWith({
      evidence: evidenceStore,
      exceptions: exceptionStore,
      intents: intentStore,
      notifier: eventNotifier,
      operationTimeoutMs: overrides.armOperationTimeoutMs ?? 20_000,
    });
    return {
      config,
      clock,
      log,
      arm: arm(),
      gateway,
      evidence: evidenceStore,
      exceptions: exceptionStore,
      intents: intentStore,
      settings,
      modes,
      notifier: eventNotifier,
      engine,
      handlerDeps,
      handleEvent: (event) => handleResourceChange(event, handlerDeps()),
    };
    function handlerDeps(invocationLog: (line: string) => void = log): HandleDeps {
      return {
        engine,
        selfObjectId: config.selfObjectId,
        selfAppId: config.selfAppId,
        subscriptions: config.subscriptions,
        ownWrites: intentStore,
        clock,
        log: invocationLog,
      };
    }
  });

  const reportsContainer = onceSync(() => createReportsContainerClient(config, credential));
  const reports = onceUntilFailure(async (): Promise<ReportService> => {
    const exceptionStore = await exceptions();
    // The period report reads chain partitions directly (source.ts): a client of its own on the evidence table.
    const evidenceTable = createTableClient(config.storage, config.evidenceTable, tableOptions);
    return new ReportService({
      config,
      source: new TableEvidenceSource(evidenceTable),
      exceptions: exceptionStore,
      archive: new ReportArchive(reportsContainer()),
      version: remediatorVersion(),
      clock,
    });
  });

  const sweep = onceUntilFailure(async (): Promise<SweepRuntime> => {
    const [evidenceStore, exceptionStore, intentStore, sweepNotifier] = await Promise.all([
      evidence(),
      sharedExceptions(),
      intents(),
      notifier(),
    ]);
    // Same engine and evidence chain as the event path; the per-resource reads it makes are
    // answered in bulk for a sweep (caching.ts), and a write may queue behind the write bucket
    // for a while, so the event path's 20 s bound is too tight here.
    const { engine } = engineWith({
      evidence: evidenceStore,
      exceptions: new CachedExceptionStore(exceptionStore),
      intents: overrides.intents ? intentStore : new PrefetchedIntentStore(intentStore, intentsTable()),
      notifier: sweepNotifier,
      operationTimeoutMs: 120_000,
    });
    return {
      subscriptions: config.subscriptions,
      arm: arm(),
      engine,
      modes,
      related: relatedReads,
      evidence: evidenceStore,
      exceptions: exceptionStore,
      reports: new SweepReportStore(reportsContainer()),
      periodReports: reports,
      queue: createSweepQueueClient(config, credential),
      throttle,
      log,
      now: clock,
      publishDigest: () => publishDigest('sweep'),
      // the sweep month's chains against the digests: cost grows with the month, not the history
      verifyMonth: (sweepId) => verifyPeriod(monthPeriod(sweepId)),
      identity,
      // Azure Policy's view of the month, reconciled with the evidence of the month (and the last days of the previous one)
      policyCrossCheck: async (subscriptions) => {
        const since = new Date(clock().getTime() - 35 * 86_400_000);
        const result = await crossCheckPolicy(
          {
            states: new ArmPolicyStatesReader(arm().connection),
            evidence: evidenceStore,
            soc2InitiativeId: config.soc2InitiativeId,
          },
          subscriptions,
          { since },
        );
        for (const error of result.errors)
          log(`policy cross-check: ${error.subscriptionId}: ${error.message}`);
        return result;
      },
    };
  });

  const graph = onceSync(
    () =>
      new GraphClient({
        credential,
        endpoint: config.graphEndpoint,
        ...overrides.graph,
      }),
  );
  const identity = onceUntilFailure(async (): Promise<IdentityRuntime | null> => {
    if (!config.identityEnabled) return null;
    const [evidenceStore, exceptionStore] = await Promise.all([evidence(), exceptions()]);
    return {
      graph: graph(),
      evidence: evidenceStore,
      exceptions: exceptionStore,
      settings: identitySettingsFromConfig(config),
      modes,
      tenantId: config.tenantId,
      clock,
      log,
    };
  });

  /** Why a record must not be restored from: its chain fails against the digests (null = trusted). */
  async function checkRecord(record: EvidenceRecord): Promise<string | null> {
    if (!anchoring()) return null; // the hash check in restore.ts still applies
    const result = await verifyPeriod({ chainIds: [record.chainId] });
    const problems = result.problems.filter(
      (problem) => problem.chainId === record.chainId && problem.kind !== 'digest-missing',
    );
    return problems.length === 0
      ? null
      : `its chain does not verify against the signed digests: ${problems.map((p) => `${p.kind} at #${p.sequence}`).join(', ')}`;
  }

  const restoreDeps = async () => ({
    ...(await eventPath()),
    checkRecord,
    twoStepControls: config.twoStepControls,
  });
  const restorer: Restorer = {
    async restore(record, request) {
      return restoreRemediation(await restoreDeps(), record, request);
    },
    async approve(record, requests, approver) {
      return approveRestore(await restoreDeps(), record, requests, approver);
    },
    async preview(record) {
      return previewRestore({ gateway: (await eventPath()).gateway, checkRecord }, record);
    },
  };

  /** Without blob settings (identity-based storage, no blob URI) the API still serves the rest. */
  function reportArchiveIfConfigured(): { reports?: ReportArchive } {
    try {
      return { reports: new ReportArchive(reportsContainer()) };
    } catch (error) {
      if (error instanceof ConfigError) return {};
      throw error;
    }
  }

  const api = onceUntilFailure(async (): Promise<ApiDeps> => {
    const devPrincipal = config.devPrincipal ? parseDevPrincipal(config.devPrincipal) : null;
    const [evidenceStore, exceptionStore] = await Promise.all([evidence(), sharedExceptions()]);
    return {
      evidence: evidenceStore,
      exceptions: exceptionStore,
      controls: CONTROLS,
      config,
      restorer,
      clock,
      devPrincipal,
      ...reportArchiveIfConfigured(),
    };
  });

  return {
    config,
    clock,
    log,
    credential,
    throttle,
    arm,
    evidence,
    exceptions: sharedExceptions,
    intents,
    eventPath,
    sweep,
    api,
    reports,
    identity,
    restorer,
    anchoring,
    publishDigest,
    verifyPeriod,
  };
}

/** [first instant, last instant] of a 'YYYY-MM' sweep id; the whole history for other ids. */
function monthPeriod(sweepId: string): { from: Date | null; to: Date | null } {
  if (!/^\d{4}-\d{2}$/.test(sweepId)) return { from: null, to: null };
  const from = new Date(`${sweepId}-01T00:00:00.000Z`);
  const to = new Date(from);
  to.setUTCMonth(to.getUTCMonth() + 1);
  return { from, to: new Date(to.getTime() - 1) };
}

/** Built on first call, then shared (for parts whose construction does no I/O). */
function onceSync<T>(build: () => T): () => T {
  let built: { value: T } | null = null;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}

/**
 * The process's App, from the app settings, built on first use; a failure (a bad setting) is not
 * cached, so a fixed setting recovers without a restart. Every function in functions/ uses it.
 */
export const appFromEnvironment: () => Promise<App> = onceUntilFailure(async () => createApp(loadConfig()));
