import type { ControlException, Finding } from '../controls/types.js';

/**
 * Pure exception matching. An exception covers a finding when it names the same control, its
 * scope is the finding's resource or an ancestor of it (whole path segments, case-insensitive,
 * like ARM ids), its optional rule name matches, and at `now` it is neither expired nor revoked.
 */

function segments(id: string): string[] {
  return id
    .trim()
    .toLowerCase()
    .split('/')
    .filter((part) => part !== '');
}

/** The id the finding is about: for a rule of an NSG, the rule's own id (so rule-level scopes match). */
function subjectSegments(finding: Finding): string[] {
  const base = segments(finding.resourceId);
  const isNsg = finding.resourceType.toLowerCase() === 'microsoft.network/networksecuritygroups';
  return isNsg && finding.ruleName ? [...base, 'securityrules', finding.ruleName.toLowerCase()] : base;
}

function isAncestorOrSelf(scope: string[], subject: string[]): boolean {
  // An empty scope ("/" or "") would exempt everything: never treat it as a match.
  if (scope.length === 0 || scope.length > subject.length) return false;
  return scope.every((part, index) => part === subject[index]);
}

function time(iso: string | undefined): number {
  return iso === undefined ? Number.NaN : Date.parse(iso);
}

/** True when the exception is in force at `now` (unparseable expiry = not in force). */
export function isActive(exception: ControlException, now: Date): boolean {
  if (exception.state === 'requested') return false; // a two-step request is not an exception yet
  const expires = time(exception.expiresOn);
  if (!(expires > now.getTime())) return false;
  if (exception.revokedOn !== undefined) {
    const revoked = time(exception.revokedOn);
    // A revocation takes effect at its time; an unparseable one counts as already revoked.
    if (Number.isNaN(revoked) || revoked <= now.getTime()) return false;
  }
  return true;
}

export function exceptionCovers(exception: ControlException, finding: Finding): boolean {
  if (exception.controlId !== finding.controlId) return false;
  if (exception.ruleName !== undefined && exception.ruleName !== '') {
    if (!finding.ruleName || exception.ruleName.toLowerCase() !== finding.ruleName.toLowerCase())
      return false;
  }
  const scope = segments(exception.scope);
  // A bare object id (no '/') scopes a tenant subject (identity controls: a break-glass user).
  if (scope.length === 1 && !exception.scope.includes('/')) {
    const subject = segments(finding.resourceId);
    return subject[0] === 'tenants' && subject[subject.length - 1] === scope[0];
  }
  return isAncestorOrSelf(scope, subjectSegments(finding));
}

/**
 * The exception that applies to a finding, or null. When several do, the most specific wins
 * (rule-level, then deepest scope), then the one expiring last, then the smallest id — so the
 * choice is deterministic and recorded evidence is reproducible.
 */
export function findException(
  finding: Finding,
  exceptions: readonly ControlException[],
  now: Date,
): ControlException | null {
  let best: ControlException | null = null;
  for (const exception of exceptions) {
    if (!exceptionCovers(exception, finding) || !isActive(exception, now)) continue;
    if (best === null || compareSpecificity(exception, best) < 0) best = exception;
  }
  return best;
}

function compareSpecificity(a: ControlException, b: ControlException): number {
  const rule = Number(Boolean(b.ruleName)) - Number(Boolean(a.ruleName));
  if (rule !== 0) return rule;
  const depth = segments(b.scope).length - segments(a.scope).length;
  if (depth !== 0) return depth;
  const expiry = time(b.expiresOn) - time(a.expiresOn);
  if (expiry !== 0) return expiry;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Turns each covered `fail` into `exempt` naming the exception; other findings are returned as
 * they are. Returns new objects: the input is not mutated. An exempt finding carries no
 * remediation plan, because nothing should be changed.
 */
export function applyExceptions(
  findings: readonly Finding[],
  exceptions: readonly ControlException[],
  now: Date,
): Finding[] {
  if (exceptions.length === 0) return [...findings];
  return findings.map((finding) => {
    if (finding.status !== 'fail') return finding;
    const exception = findException(finding, exceptions, now);
    if (!exception) return finding;
    const { remediation: _dropped, ...rest } = finding;
    return {
      ...rest,
      status: 'exempt',
      exceptionId: exception.id,
      message: `${finding.message} Exempt under exception ${exception.id} until ${exception.expiresOn}.`,
    };
  });
}
