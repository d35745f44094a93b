import type { ControlId } from '../../../lib/controls/types.js';
import type { EvidenceInput, Outcome } from '../../../lib/evidence/types.js';

export const SUB_A = '11111111-1111-4111-8111-111111111111';
export const SUB_B = '22222222-2222-4222-8222-222222222222';

export const nsgRuleId = (sub: string, rg: string, nsg: string, rule: string) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/networkSecurityGroups/${nsg}/securityRules/${rule}`;
export const storageId = (sub: string, rg: string, account: string) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${account}`;

/** An NSG rule that driftwarden set to Deny: the kind of record on-call restores. */
export function nsgRemediation(
  index: number,
  overrides: Partial<EvidenceInput> & { sub?: string; rg?: string } = {},
): EvidenceInput {
  const { sub = SUB_A, rg = 'rg-portal', ...rest } = overrides;
  const rule = `allow-partner-${index}`;
  const before = {
    name: rule,
    direction: 'Inbound',
    access: 'Allow',
    protocol: 'Tcp',
    sourceAddressPrefix: '*',
    destinationPortRange: '443',
    priority: 100 + (index % 3000),
  };
  return {
    idempotencyKey: `event:evt-nsg-${sub}-${index}:NSG-OPEN-INBOUND`,
    trigger: 'event',
    eventId: `evt-nsg-${index}`,
    correlationId: `corr-${index}`,
    subscriptionId: sub,
    resourceId: nsgRuleId(sub, rg, 'nsg-web', rule),
    resourceType: 'Microsoft.Network/networkSecurityGroups/securityRules',
    controlId: 'NSG-OPEN-INBOUND',
    criteria: ['CC6.6'],
    outcome: 'remediated',
    action: `set rule ${rule} access=Deny`,
    message: 'inbound Allow from * to 443',
    before,
    after: { ...before, access: 'Deny' },
    actor: 'dev@contoso.org',
    exceptionId: null,
    ruleName: rule,
    ...rest,
  };
}

/** A storage account finding with a chosen control and outcome. */
export function storageRecord(
  index: number,
  controlId: ControlId,
  outcome: Outcome,
  overrides: Partial<EvidenceInput> & { sub?: string; rg?: string } = {},
): EvidenceInput {
  const { sub = SUB_A, rg = 'rg-records', ...rest } = overrides;
  const account = `stphi${String(index).padStart(5, '0')}`;
  return {
    idempotencyKey: `event:evt-stg-${sub}-${index}:${controlId}`,
    trigger: 'event',
    eventId: `evt-stg-${index}`,
    correlationId: null,
    subscriptionId: sub,
    resourceId: storageId(sub, rg, account),
    resourceType: 'Microsoft.Storage/storageAccounts',
    controlId,
    criteria: ['CC6.1'],
    outcome,
    action: outcome === 'remediated' ? 'set allowBlobPublicAccess=false' : 'none',
    message: `${controlId} ${outcome}`,
    before: { allowBlobPublicAccess: true, minimumTlsVersion: 'TLS1_2' },
    after: outcome === 'remediated' ? { allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2' } : null,
    actor: 'ops@contoso.org',
    exceptionId: null,
    ...rest,
  };
}

/** `count` mixed records for benches and the page: NSG and storage, both subscriptions, several actors. */
export function mixedRecords(count: number): EvidenceInput[] {
  const outcomes: Outcome[] = ['remediated', 'compliant', 'audit-only', 'exempted', 'skipped'];
  return Array.from({ length: count }, (_, index) => {
    const sub = index % 4 === 0 ? SUB_B : SUB_A;
    const actor = `user${index % 7}@contoso.org`;
    if (index % 3 === 0) return nsgRemediation(index, { sub, actor });
    const outcome = outcomes[index % outcomes.length] ?? 'compliant';
    return storageRecord(index, index % 2 ? 'STG-PUBLIC-BLOB' : 'STG-MIN-TLS', outcome, { sub, actor });
  });
}
