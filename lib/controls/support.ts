import { ARM_TYPE_NAMES } from '../resources/kinds.js';
import type {
  Control,
  EvaluationSettings,
  Finding,
  FindingStatus,
  NormalizedResource,
  RemediationPlan,
  StorageAccountBase,
} from './types.js';

type ControlMeta = Pick<Control, 'id' | 'severity' | 'criteria'>;

/** Builds a finding carrying the control's metadata, so controls only state what differs. */
export function finding(
  control: ControlMeta,
  resource: NormalizedResource,
  status: FindingStatus,
  message: string,
  extra: { ruleName?: string; remediation?: RemediationPlan } = {},
): Finding {
  const result: Finding = {
    resourceId: resource.id,
    resourceType: ARM_TYPE_NAMES[resource.kind],
    controlId: control.id,
    status,
    severity: control.severity,
    criteria: [...control.criteria],
    message,
  };
  if (extra.ruleName !== undefined) result.ruleName = extra.ruleName;
  if (status === 'fail' && extra.remediation) result.remediation = extra.remediation;
  return result;
}

/** True when the account carries the PHI tag (tag name and value compared case-insensitively). */
export function isPhi(account: Pick<StorageAccountBase, 'tags'>, settings: EvaluationSettings): boolean {
  const wantedName = settings.phiTagName.trim().toLowerCase();
  const wantedValues = settings.phiTagValues.map((value) => value.trim().toLowerCase());
  for (const [name, value] of Object.entries(account.tags)) {
    if (name.trim().toLowerCase() === wantedName && wantedValues.includes(value.trim().toLowerCase()))
      return true;
  }
  return false;
}

/** The not-applicable message of the PHI controls. */
export function notPhiMessage(settings: EvaluationSettings): string {
  return `Not tagged as PHI (${settings.phiTagName}=${settings.phiTagValues.join('|')}).`;
}

/** Same comparison ARM uses for enum-like strings. */
export function sameText(a: string | null | undefined, b: string): boolean {
  return typeof a === 'string' && a.trim().toLowerCase() === b.toLowerCase();
}
