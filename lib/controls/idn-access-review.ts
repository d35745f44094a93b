import type { AccessReviewDefinition, TenantSnapshot } from '../identity/snapshot.js';
import { TENANT_SUBJECT_TYPES, tenantSubjectIds } from '../identity/snapshot.js';
import { defineTenantControl } from './define-tenant.js';
import { holdersOf, privilegedRoles, roleHolders } from './identity.js';

const DAY_MS = 86_400_000;

/** The recurrence period in months (null: not recurring, or a pattern we cannot read). */
export function recurrenceMonths(review: AccessReviewDefinition): number | null {
  const pattern = review.settings?.recurrence?.pattern;
  if (!pattern?.type) return null;
  const interval = pattern.interval && pattern.interval > 0 ? pattern.interval : 1;
  switch (pattern.type.toLowerCase()) {
    case 'daily':
      return (interval * 12) / 365;
    case 'weekly':
    case 'relativeweekly':
      return (interval * 7 * 12) / 365;
    case 'absolutemonthly':
    case 'relativemonthly':
      return interval;
    case 'absoluteyearly':
    case 'relativeyearly':
      return interval * 12;
    default:
      return null;
  }
}

/** The review's scope names this role (role-assignment reviews: roleDefinitions/<id> or roleDefinitionId eq '<id>'). */
function reviewsRole(review: AccessReviewDefinition, roleIds: readonly string[]): boolean {
  const queries = [review.scope?.query, ...(review.scope?.resourceScopes ?? []).map((scope) => scope.query)]
    .filter((query): query is string => typeof query === 'string')
    .map((query) => query.toLowerCase());
  return roleIds.some((id) =>
    queries.some(
      (query) => query.includes(`roledefinitions/${id}`) || query.includes(`roledefinitionid eq '${id}'`),
    ),
  );
}

function lastCompleted(review: AccessReviewDefinition): Date | null {
  let last: number | null = null;
  for (const instance of review.instances) {
    if (!/^(completed|applied|autoreviewed)$/i.test(instance.status)) continue;
    const end = Date.parse(instance.endDateTime ?? '');
    if (!Number.isNaN(end) && (last === null || end > last)) last = end;
  }
  return last === null ? null : new Date(last);
}

/**
 * Privileged access is reviewed: every privileged role someone holds has a recurring access
 * review (at most quarterly) with an instance completed within the last 92 days (configurable).
 */
export const idnAccessReview = defineTenantControl({
  id: 'IDN-ACCESS-REVIEW',
  title: 'Privileged roles must have recurring, completed access reviews',
  severity: 'high',
  criteria: ['CC6.2', 'CC6.3'],
  // "Blocked / guest accounts with owner permissions on Azure resources should be removed": what a review catches
  azurePolicyDefinitionIds: ['0cfea604-3201-4e14-88fc-fae4c427a6c5', '339353f6-2387-4a45-abe4-7f529d121046'],
  remediationDescription:
    'Audit only: create a recurring (at most quarterly) access review of the role in Privileged Identity Management and complete it.',
  evaluate(snapshot: TenantSnapshot, settings, verdict) {
    const now = Date.parse(snapshot.readAt);
    const holders = roleHolders(snapshot);
    return privilegedRoles(snapshot, settings).map((role) => {
      const subject = {
        id: tenantSubjectIds.role(snapshot.tenantId, role.id),
        type: TENANT_SUBJECT_TYPES.role,
      };
      const count = holdersOf(holders, role.templateId ?? role.id).length;
      if (count === 0) return verdict.notApplicable(subject, `${role.displayName}: nobody holds this role.`);
      const ids = [role.id.toLowerCase(), (role.templateId ?? role.id).toLowerCase()];
      const reviews = snapshot.accessReviews.filter((review) => reviewsRole(review, ids));
      if (reviews.length === 0)
        return verdict.fail(
          subject,
          `${role.displayName}: ${count} holder(s) and no access review of the role.`,
        );
      const recurring = reviews.filter((review) => {
        const months = recurrenceMonths(review);
        return months !== null && months <= settings.accessReviewMaxIntervalMonths;
      });
      if (recurring.length === 0)
        return verdict.fail(
          subject,
          `${role.displayName}: no access review recurs at least every ${settings.accessReviewMaxIntervalMonths} months.`,
        );
      const completed = recurring
        .map((review) => ({ review, at: lastCompleted(review) }))
        .filter((entry): entry is { review: AccessReviewDefinition; at: Date } => entry.at !== null)
        .sort((a, b) => b.at.getTime() - a.at.getTime())[0];
      const maxAge = settings.accessReviewMaxAgeDays;
      if (!completed || now - completed.at.getTime() > maxAge * DAY_MS) {
        const last = completed
          ? `last completed ${completed.at.toISOString().slice(0, 10)}`
          : 'never completed';
        return verdict.fail(
          subject,
          `${role.displayName}: access review ${last}, not within the last ${maxAge} days.`,
        );
      }
      return verdict.pass(
        subject,
        `${role.displayName}: "${completed.review.displayName}" completed ${completed.at.toISOString().slice(0, 10)}.`,
      );
    });
  },
});
