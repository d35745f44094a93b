import { ARM_TYPE_NAMES } from '../resources/kinds.js';

/**
 * The ARM operations driftwarden reacts to (event routing, and the infra's Event Grid advanced
 * filter on data.operationName) and the ARM actions it performs (the infra's custom role).
 * infra/ is cross-checked against these lists by a test.
 */
/**
 * Writes are what drift; deletes are handled too (ResourceDeleteSuccess → re-read → 404 →
 * `resource-gone` evidence), so the log shows when a remediated or exempted resource disappears.
 * They are rare, cost one ARM read each, and need no extra role action (we never delete).
 * One write and one delete per resource kind (lib/resources/kinds.ts), except vault keys: ARM
 * creates them (Keys_CreateIfNotExist) but has no delete (keys are deleted in the data plane,
 * which raises no ARM event). A diagnostic setting's write or delete re-evaluates the resource
 * it is attached to (lib/events/handle.ts).
 */
const WRITE_ONLY: readonly string[] = [ARM_TYPE_NAMES.keyVaultKey];

export const HANDLED_OPERATIONS: readonly string[] = Object.freeze(
  Object.values(ARM_TYPE_NAMES).flatMap((type) =>
    WRITE_ONLY.includes(type) ? [`${type}/write`] : [`${type}/write`, `${type}/delete`],
  ),
);

/** Event types the event function accepts from the subscription system topic. */
export const HANDLED_EVENT_TYPES = [
  'Microsoft.Resources.ResourceWriteSuccess',
  'Microsoft.Resources.ResourceDeleteSuccess',
] as const;

/**
 * Least privilege: exactly what the adapters call (plus the one linked action ARM checks on a
 * write's referenced resource). Reads for evaluation and enumeration, writes to revert/restore.
 */
export const ARM_ACTIONS = [
  'Microsoft.Storage/storageAccounts/read',
  'Microsoft.Storage/storageAccounts/write',
  'Microsoft.Storage/storageAccounts/blobServices/containers/read',
  'Microsoft.Storage/storageAccounts/blobServices/containers/write',
  'Microsoft.Network/networkSecurityGroups/read',
  'Microsoft.Network/networkSecurityGroups/securityRules/read',
  'Microsoft.Network/networkSecurityGroups/securityRules/write',
  // LAW-RETENTION reads and remediates workspaces; DIAG-RESOURCE-LOGS reads their retention
  'Microsoft.OperationalInsights/workspaces/read',
  'Microsoft.OperationalInsights/workspaces/write',
  // LAW-RETENTION flags tables keeping less than the minimum (one list per audit workspace)
  'Microsoft.OperationalInsights/workspaces/tables/read',
  // DIAG-RESOURCE-LOGS remediate: ARM checks this on the destination workspace of a setting we create
  // (LinkedAuthorizationFailed without it); never called as such
  'Microsoft.OperationalInsights/workspaces/sharedKeys/action',
  // KV-* audit vaults; KV-HSM-KEY-PHI reads the key a PHI account's encryption uses (metadata only)
  'Microsoft.KeyVault/vaults/read',
  'Microsoft.KeyVault/vaults/keys/read',
  // DIAG-RESOURCE-LOGS: the diagnostic settings of accounts' blob services, vaults and NSGs
  'Microsoft.Insights/diagnosticSettings/read',
  // DIAG-RESOURCE-LOGS remediate mode creates driftwarden-soc2; restore deletes it again
  'Microsoft.Insights/diagnosticSettings/write',
  'Microsoft.Insights/diagnosticSettings/delete',
  // Azure Policy cross-check (lib/policy/states.ts): the query is a POST, its nextLink pages a GET
  'Microsoft.PolicyInsights/policyStates/queryResults/action',
  'Microsoft.PolicyInsights/policyStates/queryResults/read',
] as const;
