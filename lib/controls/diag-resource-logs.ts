import { describeSelection, isAuditWorkspace } from './audit-workspaces.js';
import { defineControl } from './define.js';
import { sameText } from './support.js';
import type {
  DiagnosticSettingResource,
  EvaluationSettings,
  LogAnalyticsWorkspaceResource,
  NormalizedResource,
  RelatedResources,
  RemediationPlan,
} from './types.js';

/**
 * The audit log categories each judged resource must send, and where its diagnostic settings
 * live: blob audit logs are a setting of the account's blob service, not of the account.
 * A setting covers a category by naming it, or through the `audit` / `allLogs` category groups.
 */
const AUDIT_LOGS = {
  storageAccount: {
    scope: (id: string) => `${id}/blobServices/default`,
    what: 'blob service',
    categories: ['StorageRead', 'StorageWrite', 'StorageDelete'],
  },
  keyVault: { scope: (id: string) => id, what: 'vault', categories: ['AuditEvent'] },
  networkSecurityGroup: { scope: (id: string) => id, what: 'NSG', categories: ['NetworkSecurityGroupEvent'] },
} as const;

/** The diagnostic setting driftwarden creates in remediate mode (and a restore deletes again). */
export const DRIFTWARDEN_DIAGNOSTIC_SETTING = 'driftwarden-soc2';

/** Where a judged resource's audit logs are configured (a storage account's: its blob service); null for other kinds. */
export function diagnosticScopeOf(resource: Pick<NormalizedResource, 'kind' | 'id'>): string | null {
  const kind = resource.kind;
  return kind === 'storageAccount' || kind === 'keyVault' || kind === 'networkSecurityGroup'
    ? AUDIT_LOGS[kind].scope(resource.id)
    : null;
}

const COVERING_GROUPS = ['audit', 'allLogs'];

/** The categories of each kind, as messages list them. */
const WANTED = {
  storageAccount: AUDIT_LOGS.storageAccount.categories.join(', '),
  keyVault: AUDIT_LOGS.keyVault.categories.join(', '),
  networkSecurityGroup: AUDIT_LOGS.networkSecurityGroup.categories.join(', '),
};

/** The required categories a setting sends (enabled entries only); `required` itself when a group covers them. */
function coveredBy(setting: DiagnosticSettingResource, required: readonly string[]): readonly string[] {
  for (const entry of setting.logs) {
    if (entry.enabled && COVERING_GROUPS.some((group) => sameText(entry.categoryGroup, group)))
      return required;
  }
  return required.filter((category) =>
    setting.logs.some((entry) => entry.enabled && sameText(entry.category, category)),
  );
}

type WorkspaceVerdict = { ok: true } | { ok: false; why: string } | { ok: 'unknown'; why: string };

/** Whether a destination meets LAW-RETENTION: an audit workspace keeping the minimum. */
function judgeWorkspace(
  workspaceId: string,
  workspace: LogAnalyticsWorkspaceResource | null | undefined,
  settings: EvaluationSettings,
): WorkspaceVerdict {
  const minimum = settings.logRetentionDays;
  if (workspace === undefined)
    return { ok: 'unknown', why: `workspace ${workspaceId} is not among the resources read` };
  if (workspace === null) return { ok: false, why: `workspace ${workspaceId} does not exist` };
  if (!isAuditWorkspace(workspace, settings))
    return {
      ok: false,
      why: `workspace ${workspace.name} is not an audit workspace (${describeSelection(settings)})`,
    };
  const days = workspace.retentionInDays;
  if (days !== null && days >= minimum) return { ok: true };
  return {
    ok: false,
    why: `workspace ${workspace.name} keeps ${days ?? 30} days (minimum ${minimum}, LAW-RETENTION)`,
  };
}

/**
 * The remediation in remediate mode: driftwarden's setting on the scope, sending the required
 * categories to DW_DIAG_WORKSPACE_ID — unless that workspace is known not to qualify itself
 * (then the setting would not make the resource compliant, and `why` says so).
 */
function remediationFor(
  scopeId: string,
  categories: readonly string[],
  settings: EvaluationSettings,
  related: RelatedResources,
): { plan: RemediationPlan | null; why: string } {
  const workspaceId = settings.diagnosticWorkspaceId;
  if (!workspaceId) return { plan: null, why: '' };
  const destination = judgeWorkspace(workspaceId, related.workspace(workspaceId), settings);
  if (destination.ok === false)
    return {
      plan: null,
      why: ` No setting is created: the configured destination fails too (${destination.why}).`,
    };
  return {
    plan: {
      kind: 'diagnostic-setting',
      scopeId,
      name: DRIFTWARDEN_DIAGNOSTIC_SETTING,
      workspaceId,
      categories: [...categories],
    },
    why: '',
  };
}

/**
 * Cross-resource: storage accounts (blob service), key vaults and NSGs must send their audit
 * categories to a Log Analytics workspace that meets LAW-RETENTION (an audit workspace keeping
 * the minimum). Audit by default; deleting a diagnostic setting raises an ARM event on the
 * setting, which re-evaluates the resource. Remediate mode (with DW_DIAG_WORKSPACE_ID) creates
 * the setting `driftwarden-soc2` sending the categories this control requires.
 */
export const diagResourceLogs = defineControl({
  id: 'DIAG-RESOURCE-LOGS',
  title: 'Audit logs must be sent to a workspace that retains them for 12 months',
  severity: 'medium',
  criteria: ['CC7.2', 'CC7.3'],
  azurePolicyDefinitionIds: ['187242f4-89c6-4c43-9a4e-188c0efacc5f', 'cf820ca0-f99e-4f3e-84fb-66e913812d21'],
  resourceKinds: ['storageAccount', 'keyVault', 'networkSecurityGroup'],
  defaultMode: 'audit',
  remediationDescription: `Audit by default. In remediate mode (with DW_DIAG_WORKSPACE_ID) create the diagnostic setting ${DRIFTWARDEN_DIAGNOSTIC_SETTING} sending the audit categories to that workspace.`,
  // the diagnostic settings and workspaces are looked up through `related`
  reads: {},
  writes: {},
  evaluate(resource, settings, verdict, related) {
    const spec = AUDIT_LOGS[resource.kind];
    const scope = spec.scope(resource.id);
    const found = related.diagnosticSettings(scope);
    if (found === undefined) {
      return [verdict.notApplicable(`The ${spec.what}'s diagnostic settings are not in the input.`)];
    }
    const missing = new Set<string>(spec.categories);
    const problems: string[] = [];
    let unknown: string | null = null;
    for (const setting of found) {
      const covered = coveredBy(setting, spec.categories);
      if (covered.length === 0) continue;
      if (!setting.workspaceId) {
        problems.push(`setting ${setting.name} sends to no Log Analytics workspace`);
        continue;
      }
      const workspace = judgeWorkspace(setting.workspaceId, related.workspace(setting.workspaceId), settings);
      if (workspace.ok === true) for (const category of covered) missing.delete(category);
      else if (workspace.ok === 'unknown') unknown ??= workspace.why;
      else problems.push(`setting ${setting.name}: ${workspace.why}`);
    }
    const wanted = WANTED[resource.kind];
    if (missing.size === 0) {
      return [verdict.pass(`The ${spec.what} sends its audit logs (${wanted}) to a compliant workspace.`)];
    }
    if (unknown) return [verdict.notApplicable(`Cannot judge the ${spec.what}'s audit logs: ${unknown}.`)];
    const why =
      found.length === 0
        ? `The ${spec.what} has no diagnostic setting: its audit logs (${wanted}) are not kept.`
        : `The ${spec.what} does not send ${[...missing].join(', ')} to a compliant workspace${problems.length > 0 ? ` (${problems.join('; ')})` : ''}.`;
    const remediation = remediationFor(scope, spec.categories, settings, related);
    return [verdict.fail(`${why}${remediation.why}`, { remediation: remediation.plan })];
  },
});
