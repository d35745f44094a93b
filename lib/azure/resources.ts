import type { SecurityRule as SdkSecurityRule } from '@azure/arm-network';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { type WritableStorageProperties, writtenFieldsOf } from '../controls/resource-fields.js';
import type {
  DiagnosticLogEntry,
  NormalizedResource,
  RelatedResources,
  RemediationPlan,
} from '../controls/types.js';
import { inFlight } from '../remediation/in-flight.js';
import {
  PreconditionFailedError,
  ResourceBusyError,
  type ResourceGateway,
  type ResourceSnapshot,
} from '../remediation/types.js';
import { normalizeResource } from '../resources/normalize.js';
import { isRestError } from '../util/errors.js';
import {
  BusyWriteError,
  NO_BLIND_REPLAY_POLICY,
  noBlindReplayOfBusyConditionalWrites,
  sameRuleContent,
} from './busy-nsg.js';
import type { ArmClients } from './clients.js';
import {
  ArmRelatedReader,
  putDiagnosticSettingWithGroups,
  type RelatedReadOptions,
} from './related-reader.js';
import { type ParsedResourceId, requireResourceId } from './resource-id.js';

/**
 * ARM adapter of the remediation core: reads one resource, writes only what a plan changes.
 *
 * - Storage account: PATCH (`storageAccounts.update`) with just the plan's properties, so
 *   concurrent edits of other account settings survive.
 * - Blob container: PATCH `publicAccess: 'None'`. The storage RP declares no If-Match on
 *   container writes, so a restore's ETag guard is a re-read and compare just before the PATCH.
 * - Security rule: PUT of that one rule (never the whole NSG, which would clobber a concurrent
 *   edit of a sibling rule), built from the rule as read, with `If-Match: <rule ETag>`. In Azure
 *   a rule's ETag is its NSG's, so any sibling edit since our read answers 412; while another
 *   operation holds the NSG the RP answers 429 RetryableError (or 409 AnotherOperationInProgress).
 *   Either way the remediation re-reads the rule after a jittered wait (Retry-After when busy):
 *   only its ETag moved → the same write with the fresh ETag; the rule itself changed → 412 to
 *   the engine, which re-evaluates. Bounded by busyWaitMs (then ResourceBusyError). Restores
 *   keep strict If-Match semantics (busy-nsg.ts explains the SDK-replay policy).
 *   The SDK sends per-call custom headers on the LRO poll GETs too; the policy below keeps
 *   If-Match on writes only (a GET with a stale If-Match would be refused by ARM).
 * - Reads wait (bounded) while the resource shows a running operation (`Updating`): an event can
 *   arrive before the write that raised it has completed.
 */

export interface GatewayOptions {
  /** upper bound for one ARM call including the SDK's own retries and LRO polling; default 60 s */
  operationTimeoutMs?: number;
  /** LRO poll interval when ARM sends no Retry-After; default 1000 ms */
  pollIntervalMs?: number;
  /** how long a read waits for a running operation on the resource to finish; default 30 s */
  settleWaitMs?: number;
  /** how long a rule write keeps retrying while its NSG is busy or changing; default operationTimeoutMs */
  busyWaitMs?: number;
  /** jitter source (0..1); default Math.random */
  random?: () => number;
  /** what the cross-resource reads include beyond a resource's own references (related-reader.ts) */
  related?: RelatedReadOptions;
}

/** What the gateway had to wait out (for logs and benchmarks). */
export interface GatewayStats {
  /** rule PUTs retried because another operation held the NSG */
  busyRetries: number;
  /** rule PUTs retried with a fresh ETag because only a sibling had changed (412) */
  siblingRetries: number;
  /** re-reads because the resource was mid-operation */
  settleWaits: number;
}

type Json = Record<string, unknown>;

/**
 * Storage properties we write, in the names the evidence contract uses (ARCHITECTURE.md) (the SDK's may differ, e.g.
 * enableHttpsTrafficOnly): those some control's remediation writes (lib/controls/catalog.ts).
 */
export type StorageProperties = WritableStorageProperties;

/** The written storage fields, as the controls declare them (name, type, SDK spelling). */
const STORAGE_WRITES = Object.entries(writtenFieldsOf('storageAccount'));
for (const [name, spec] of STORAGE_WRITES) {
  // the storage PATCH sets top-level SDK properties only
  if ((spec.sdk ?? spec.arm).length !== 1)
    throw new Error(`storage field ${name}: nested writes are not supported`);
}

/** The storage PATCH body for `set`, in the SDK's property names; unset and null values are left out. */
export function storagePatchParameters(set: StorageProperties): Json {
  const parameters: Json = {};
  const values: Readonly<Record<string, unknown>> = set;
  for (const [name, spec] of STORAGE_WRITES) {
    const value = values[name];
    if (value != null) parameters[(spec.sdk ?? spec.arm)[0] ?? name] = value;
  }
  return parameters;
}

/**
 * What restore writes for a recorded storage before-state: the written fields it holds. Absent
 * (null) before-values cannot be PATCHed back to "absent": their effective meaning is written
 * instead, as the control declares it (restoreNullAs), or they are left out.
 */
export function storageRestoreSet(state: Json): StorageProperties {
  const set: Json = {};
  for (const [name, spec] of STORAGE_WRITES) {
    if (!(name in state)) continue;
    const value = state[name] ?? spec.restoreNullAs;
    if (typeof value === (spec.type === 'flag' ? 'boolean' : 'string')) set[name] = value;
  }
  if (Object.keys(set).length === 0)
    throw new Error('restore: no storage property to restore in the recorded state');
  // the names are written fields and each value has its field's type (checked above)
  return set as StorageProperties;
}

/** What restore writes for a recorded null retention: the declared meaning of "not reported". */
const WORKSPACE_RETENTION_DEFAULT =
  writtenFieldsOf('logAnalyticsWorkspace').retentionInDays?.restoreNullAs ?? 30;

const IF_MATCH_POLICY = 'driftwardenIfMatchOnWritesOnly';
const ifMatchOnWritesOnly: PipelinePolicy = {
  name: IF_MATCH_POLICY,
  sendRequest(request, next) {
    if (request.method === 'GET') request.headers.delete('If-Match');
    return next(request);
  },
};

function plain(value: unknown): Json {
  // SDK models may carry Date objects; evidence and restore want plain JSON
  return JSON.parse(JSON.stringify(value ?? {})) as Json;
}

function isNotFound(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 404;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function rethrow412(error: unknown, resourceId: string): never {
  if (isRestError(error) && error.statusCode === 412) throw new PreconditionFailedError(resourceId);
  throw error;
}

/** The body for a PUT of `rule`: what the rule is, minus server-populated fields. */
function writableRule(rule: Json): SdkSecurityRule {
  const { etag: _etag, provisioningState: _state, ...rest } = rule;
  return rest as SdkSecurityRule;
}

function sameText(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
}

/**
 * The rule after the plan: internet sources removed, or (when nothing else would remain, or the
 * plan says so) access set to Deny with sources untouched, so the rule stays visible and restorable.
 */
export function remediatedRule(rule: Json, plan: RemediationPlan): Json {
  const next: Json = { ...rule };
  if (plan.kind === 'nsg-rule-remove-sources') {
    const remove = (source: unknown) => plan.removeSources.some((bad) => sameText(source, bad));
    const single =
      typeof rule.sourceAddressPrefix === 'string' && rule.sourceAddressPrefix !== ''
        ? [rule.sourceAddressPrefix]
        : [];
    const list = Array.isArray(rule.sourceAddressPrefixes) ? (rule.sourceAddressPrefixes as unknown[]) : [];
    const keptSingle = single.filter((source) => !remove(source));
    const keptList = list.filter((source) => !remove(source));
    if (keptSingle.length + keptList.length > 0) {
      if (single.length > 0) next.sourceAddressPrefix = keptSingle[0] ?? undefined;
      if (list.length > 0) next.sourceAddressPrefixes = keptList;
      if (next.sourceAddressPrefix === undefined) delete next.sourceAddressPrefix;
      return next;
    }
  } else if (plan.kind !== 'nsg-rule-deny') {
    throw new Error(`plan ${plan.kind} is not a security rule plan`);
  }
  next.access = 'Deny';
  return next;
}

export class ArmResourceGateway implements ResourceGateway {
  private readonly timeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly settleWaitMs: number;
  private readonly busyWaitMs: number;
  private readonly random: () => number;
  private readonly patched = new WeakSet<object>();
  readonly stats: GatewayStats = { busyRetries: 0, siblingRetries: 0, settleWaits: 0 };
  private readonly relatedReader: ArmRelatedReader;

  constructor(
    private readonly clients: ArmClients,
    options: GatewayOptions = {},
  ) {
    this.timeoutMs = options.operationTimeoutMs ?? 60_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.settleWaitMs = options.settleWaitMs ?? 30_000;
    this.busyWaitMs = options.busyWaitMs ?? this.timeoutMs;
    this.random = options.random ?? Math.random;
    this.relatedReader = new ArmRelatedReader(clients, () => this.signal(), options.related);
  }

  /** What the cross-resource controls need about `resource` (diagnostic settings, workspaces, its CMK key). */
  related(resource: NormalizedResource): Promise<RelatedResources> {
    return this.relatedReader.read(resource);
  }

  private signal() {
    return AbortSignal.timeout(this.timeoutMs);
  }

  private storage(id: ParsedResourceId) {
    return this.clients.storageFor(id.subscriptionId);
  }

  private async network(id: ParsedResourceId) {
    const client = await this.clients.networkFor(id.subscriptionId);
    if (!this.patched.has(client)) {
      this.patched.add(client);
      const names = new Set(client.pipeline.getOrderedPolicies().map((policy) => policy.name));
      if (!names.has(IF_MATCH_POLICY)) client.pipeline.addPolicy(ifMatchOnWritesOnly);
      if (!names.has(NO_BLIND_REPLAY_POLICY))
        client.pipeline.addPolicy(noBlindReplayOfBusyConditionalWrites, { afterPhase: 'Retry' });
    }
    return client;
  }

  private snapshot(id: ParsedResourceId, raw: unknown): ResourceSnapshot {
    const json = plain(raw);
    return {
      resourceId: id.canonicalId,
      target: id.target,
      subscriptionId: id.subscriptionId,
      raw: json,
      etag: typeof json.etag === 'string' ? json.etag : null,
    };
  }

  /** The resource once no operation runs on it (or as it is when the settle budget runs out). */
  async read(resourceId: string): Promise<ResourceSnapshot | null> {
    const deadline = Date.now() + this.settleWaitMs;
    let wait = Math.max(10, this.pollIntervalMs);
    for (;;) {
      const snapshot = await this.readOnce(resourceId);
      if (snapshot === null || !inFlight(snapshot.raw) || Date.now() >= deadline) return snapshot;
      this.stats.settleWaits += 1;
      await delay(Math.min(wait, deadline - Date.now()));
      wait = Math.min(wait * 2, 5000);
    }
  }

  private async readOnce(resourceId: string): Promise<ResourceSnapshot | null> {
    const id = requireResourceId(resourceId);
    const abortSignal = this.signal();
    try {
      switch (id.target) {
        case 'storageAccount':
          return this.snapshot(
            id,
            await (await this.storage(id)).storageAccounts.getProperties(id.resourceGroup, id.parentName, {
              abortSignal,
            }),
          );
        case 'blobContainer':
          return this.snapshot(
            id,
            await (await this.storage(id)).blobContainers.get(
              id.resourceGroup,
              id.parentName,
              id.childName as string,
              { abortSignal },
            ),
          );
        case 'networkSecurityGroup':
          return this.snapshot(
            id,
            await (await this.network(id)).networkSecurityGroups.get(id.resourceGroup, id.parentName, {
              abortSignal,
            }),
          );
        case 'securityRule':
          return this.snapshot(
            id,
            await (await this.network(id)).securityRules.get(
              id.resourceGroup,
              id.parentName,
              id.childName as string,
              { abortSignal },
            ),
          );
        case 'logAnalyticsWorkspace':
          return this.snapshot(
            id,
            await (await this.clients.operationalInsightsFor(id.subscriptionId)).workspaces.get(
              id.resourceGroup,
              id.parentName,
              { abortSignal },
            ),
          );
        case 'logAnalyticsTable':
          return this.snapshot(
            id,
            await (await this.clients.operationalInsightsFor(id.subscriptionId)).tables.get(
              id.resourceGroup,
              id.parentName,
              id.childName as string,
              { abortSignal },
            ),
          );
        case 'keyVault':
          return this.snapshot(
            id,
            await (await this.clients.keyVaultFor(id.subscriptionId)).vaults.get(
              id.resourceGroup,
              id.parentName,
              { abortSignal },
            ),
          );
        case 'keyVaultKey':
          return this.snapshot(
            id,
            await (await this.clients.keyVaultFor(id.subscriptionId)).keys.get(
              id.resourceGroup,
              id.parentName,
              id.childName as string,
              { abortSignal },
            ),
          );
        case 'diagnosticSetting':
          return this.snapshot(
            id,
            await (await this.clients.monitorFor(id.subscriptionId)).diagnosticSettings.get(
              (id.scope?.id ?? '').replace(/^\/+/, ''),
              id.childName as string,
              {
                abortSignal,
              },
            ),
          );
      }
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async apply(plan: RemediationPlan, current: ResourceSnapshot): Promise<ResourceSnapshot> {
    const id = requireResourceId(current.resourceId);
    switch (plan.kind) {
      case 'storage-account-properties':
        if (id.target !== 'storageAccount') throw new Error(`plan ${plan.kind} does not fit ${id.target}`);
        return this.patchStorage(id, plan.set);
      case 'blob-container-public-access':
        if (id.target !== 'blobContainer') throw new Error(`plan ${plan.kind} does not fit ${id.target}`);
        return this.patchContainer(id, plan.set.publicAccess);
      case 'workspace-properties':
        if (id.target !== 'logAnalyticsWorkspace')
          throw new Error(`plan ${plan.kind} does not fit ${id.target}`);
        return this.patchWorkspace(id, plan.set.retentionInDays, current.etag);
      case 'nsg-rule-remove-sources':
      case 'nsg-rule-deny': {
        const { rule, ruleId } = this.ruleFrom(current, id, plan.ruleName);
        return this.putRule(
          ruleId,
          remediatedRule(rule, plan),
          typeof rule.etag === 'string' ? rule.etag : null,
          rule,
        );
      }
      case 'diagnostic-setting':
        return this.putDiagnosticSetting(current, plan.scopeId, plan.name, {
          workspaceId: plan.workspaceId,
          logs: plan.categories.map((category) => ({ category, categoryGroup: null, enabled: true })),
        });
    }
  }

  /**
   * DiagnosticSettings_CreateOrUpdate (synchronous: 200 with the setting), then the resource's
   * related resources read back (its settings list, their workspaces): the state the engine
   * confirms the write on and records as `after`. Diagnostic settings carry no ETag.
   */
  private async putDiagnosticSetting(
    current: ResourceSnapshot,
    scopeId: string,
    name: string,
    setting: { workspaceId: string | null; logs: DiagnosticLogEntry[] },
  ): Promise<ResourceSnapshot> {
    const destination = setting.workspaceId ? { workspaceId: setting.workspaceId } : {};
    if (setting.logs.some((entry) => entry.categoryGroup)) {
      await putDiagnosticSettingWithGroups(
        this.clients,
        current.subscriptionId,
        scopeId,
        name,
        { ...destination, logs: setting.logs },
        this.signal(),
      );
    } else {
      const client = await this.clients.monitorFor(current.subscriptionId);
      await client.diagnosticSettings.createOrUpdate(
        // the SDK takes the resource URI without its leading slash
        scopeId.replace(/^\/+/, ''),
        name,
        {
          ...destination,
          logs: setting.logs.map((entry) => ({
            category: entry.category ?? undefined,
            enabled: entry.enabled,
          })),
        },
        { abortSignal: this.signal() },
      );
    }
    return this.withRelatedReadBack(current);
  }

  private async withRelatedReadBack(current: ResourceSnapshot): Promise<ResourceSnapshot> {
    const resource = normalizeResource(current.raw);
    if (!resource) return current;
    return { ...current, related: await this.related(resource) };
  }

  async restoreDiagnosticSetting(
    resourceId: string,
    scopeId: string,
    name: string,
    setting: { workspaceId: string | null; logs: DiagnosticLogEntry[] } | null,
  ): Promise<ResourceSnapshot> {
    const current = await this.readOnce(resourceId);
    if (!current) throw new PreconditionFailedError(resourceId);
    if (setting) return this.putDiagnosticSetting(current, scopeId, name, setting);
    // DiagnosticSettings_Delete: 200, or 204 when it is already gone
    await (await this.clients.monitorFor(current.subscriptionId)).diagnosticSettings.delete(
      scopeId.replace(/^\/+/, ''),
      name,
      { abortSignal: this.signal() },
    );
    return this.withRelatedReadBack(current);
  }

  async restoreState(resourceId: string, before: unknown, etag?: string | null): Promise<ResourceSnapshot> {
    const id = requireResourceId(resourceId);
    if (typeof before !== 'object' || before === null)
      throw new Error('restore: the recorded before state is not an object');
    const state = before as Json;
    switch (id.target) {
      case 'storageAccount':
        return this.patchStorage(id, storageRestoreSet(state));
      case 'blobContainer': {
        if (typeof state.publicAccess !== 'string')
          throw new Error('restore: the recorded state has no publicAccess');
        if (etag) {
          // no If-Match on container writes in Azure: compare on a fresh read instead (a change
          // landing between this read and the PATCH is not caught; the window is one round trip)
          const now = await this.readOnce(id.canonicalId);
          if (now?.etag !== etag) throw new PreconditionFailedError(id.canonicalId);
        }
        return this.patchContainer(id, state.publicAccess);
      }
      case 'networkSecurityGroup':
      case 'securityRule': {
        const name = id.target === 'securityRule' ? (id.childName as string) : state.name;
        if (
          typeof name !== 'string' ||
          (id.target === 'securityRule' && !sameText(state.name ?? name, name))
        ) {
          throw new Error('restore: the recorded rule does not name the rule being restored');
        }
        const ruleId = requireResourceId(
          id.target === 'securityRule' ? id.canonicalId : `${id.canonicalId}/securityRules/${name}`,
        );
        return this.putRule(ruleId, state, etag ?? null);
      }
      case 'logAnalyticsWorkspace': {
        // a recorded null (not reported) restores the service default the control declares
        const days = state.retentionInDays ?? WORKSPACE_RETENTION_DEFAULT;
        if (typeof days !== 'number') throw new Error('restore: the recorded state has no retentionInDays');
        return this.patchWorkspace(id, days, etag ?? null);
      }
      case 'logAnalyticsTable':
      case 'keyVault':
      case 'keyVaultKey':
      case 'diagnosticSetting':
        throw new Error(`restore: driftwarden never writes ${id.target} resources`);
    }
  }

  /** PATCH of the workspace's retention only (Workspaces_Update is synchronous), with its ETag when known. */
  private async patchWorkspace(
    id: ParsedResourceId,
    retentionInDays: number,
    etag: string | null,
  ): Promise<ResourceSnapshot> {
    try {
      const result = await (await this.clients.operationalInsightsFor(id.subscriptionId)).workspaces.update(
        id.resourceGroup,
        id.parentName,
        { retentionInDays },
        {
          abortSignal: this.signal(),
          requestOptions: etag ? { customHeaders: { 'If-Match': etag } } : undefined,
        },
      );
      return this.snapshot(id, result);
    } catch (error) {
      rethrow412(error, id.canonicalId);
    }
  }

  private async patchStorage(id: ParsedResourceId, set: StorageProperties): Promise<ResourceSnapshot> {
    const parameters = storagePatchParameters(set);
    // @azure/arm-storage 20.0.0 decides whether to send `properties` at all by looking for
    // PascalCase keys ("AllowBlobPublicAccess", "EnableHttpsTrafficOnly"), then serialises the
    // camelCase ones: without this marker a PATCH of only those flags goes out empty. The marker
    // itself is never serialised.
    parameters.AllowBlobPublicAccess = parameters.allowBlobPublicAccess ?? null;
    const result = await (await this.storage(id)).storageAccounts.update(
      id.resourceGroup,
      id.parentName,
      parameters,
      {
        abortSignal: this.signal(),
      },
    );
    return this.snapshot(id, result);
  }

  private async patchContainer(id: ParsedResourceId, publicAccess: string): Promise<ResourceSnapshot> {
    const result = await (await this.storage(id)).blobContainers.update(
      id.resourceGroup,
      id.parentName,
      id.childName as string,
      // biome-ignore lint/suspicious/noExplicitAny: the SDK's PublicAccess is a string union; we pass a validated value
      { publicAccess: publicAccess as any },
      { abortSignal: this.signal() },
    );
    return this.snapshot(id, result);
  }

  /** The rule a plan targets: the snapshot itself (rule read) or one of the NSG's custom rules. */
  private ruleFrom(
    current: ResourceSnapshot,
    id: ParsedResourceId,
    ruleName: string,
  ): { rule: Json; ruleId: ParsedResourceId } {
    if (id.target === 'securityRule') {
      if (!sameText(id.childName, ruleName))
        throw new Error(`plan names rule ${ruleName}, snapshot is ${id.childName}`);
      return { rule: current.raw, ruleId: id };
    }
    if (id.target !== 'networkSecurityGroup') throw new Error(`a rule plan does not fit ${id.target}`);
    const defaults = Array.isArray(current.raw.defaultSecurityRules)
      ? (current.raw.defaultSecurityRules as Json[])
      : [];
    if (defaults.some((rule) => sameText(rule.name, ruleName)))
      throw new Error(`refusing to modify default rule ${ruleName}`);
    const rules = Array.isArray(current.raw.securityRules) ? (current.raw.securityRules as Json[]) : [];
    const rule = rules.find((candidate) => sameText(candidate.name, ruleName));
    if (!rule) throw new PreconditionFailedError(`${id.canonicalId}/securityRules/${ruleName}`);
    return { rule, ruleId: requireResourceId(`${id.canonicalId}/securityRules/${rule.name as string}`) };
  }

  /**
   * PUT of one rule with If-Match. With `basis` (the rule as read, for a remediation), a busy NSG
   * or a 412 is followed by a jittered wait and a re-read of the rule: unchanged → the same write
   * with the fresh ETag; changed → PreconditionFailedError (the engine re-evaluates). Without
   * `basis` (a restore), 412 stands and busy is waited out once per Retry-After.
   */
  private async putRule(
    ruleId: ParsedResourceId,
    rule: Json,
    etag: string | null,
    basis?: Json,
  ): Promise<ResourceSnapshot> {
    const started = Date.now();
    let ifMatch = etag;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await (await this.network(ruleId)).securityRules.beginCreateOrUpdateAndWait(
          ruleId.resourceGroup,
          ruleId.parentName,
          ruleId.childName as string,
          writableRule(rule),
          {
            abortSignal: this.signal(),
            updateIntervalInMs: this.pollIntervalMs,
            requestOptions: ifMatch ? { customHeaders: { 'If-Match': ifMatch } } : undefined,
          },
        );
        return this.snapshot(ruleId, result);
      } catch (error) {
        const busy = error instanceof BusyWriteError;
        const stale = isRestError(error) && error.statusCode === 412;
        if (!busy && !(stale && basis)) rethrow412(error, ruleId.canonicalId);
        // Retry-After is whole seconds; jitter spreads writers that were refused together
        const base = busy ? (error.retryAfterMs ?? this.pollIntervalMs) : this.pollIntervalMs;
        const wait = base * (0.5 + this.random());
        const elapsed = Date.now() - started;
        if (elapsed + wait > this.busyWaitMs) {
          if (busy) throw new ResourceBusyError(ruleId.canonicalId, attempt, elapsed);
          throw new PreconditionFailedError(ruleId.canonicalId);
        }
        await delay(wait);
        if (!basis) {
          if (busy) this.stats.busyRetries += 1;
          continue; // a restore keeps its ETag: a change since the record is a conflict
        }
        const now = await this.readOnce(ruleId.canonicalId);
        if (!now || !sameRuleContent(basis, now.raw)) throw new PreconditionFailedError(ruleId.canonicalId);
        if (busy) this.stats.busyRetries += 1;
        else this.stats.siblingRetries += 1;
        ifMatch = now.etag;
      }
    }
  }
}
