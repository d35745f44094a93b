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
  // three controls ask this of every account: compared in place, without lower-cased copies
  const wantedName = settings.phiTagName.trim();
  for (const name in account.tags) {
    if (!Object.hasOwn(account.tags, name) || !sameText(name, wantedName)) continue;
    const value = (account.tags[name] as string).trim();
    if (settings.phiTagValues.some((wanted) => sameText(value, wanted.trim()))) return true;
  }
  return false;
}

/** The not-applicable message of the PHI controls. */
export function notPhiMessage(settings: EvaluationSettings): string {
  return `Not tagged as PHI (${settings.phiTagName}=${settings.phiTagValues.join('|')}).`;
}

/** Same comparison ARM uses for enum-like strings: trimmed, case-insensitive. */
export function sameText(a: string | null | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  // b in Azure's own spelling ('Inbound', 'Allow') matches most input as it is (unless padded)
  if (a === b) return a.trim().length === a.length;
  // NSG controls ask this of every rule twice: decide plain ASCII without allocating
  return asciiSameText(a, b) ?? a.trim().toLowerCase() === b.toLowerCase();
}

const isAsciiSpace = (code: number) => code === 32 || (code >= 9 && code <= 13);
const asciiLower = (code: number) => (code >= 65 && code <= 90 ? code + 32 : code);

/**
 * sameText for two ASCII strings of one length, `a` not padded (so trimming and lower-casing
 * change nothing but ASCII case); null when that does not hold and the full comparison decides.
 */
function asciiSameText(a: string, b: string): boolean | null {
  const length = a.length;
  if (length !== b.length || length === 0) return null;
  if (isAsciiSpace(a.charCodeAt(0)) || isAsciiSpace(a.charCodeAt(length - 1))) return null;
  let same = true;
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x > 127 || y > 127) return null; // non-ASCII lower-casing may change lengths: the full comparison
    if (asciiLower(x) !== asciiLower(y)) same = false;
  }
  return same;
}
