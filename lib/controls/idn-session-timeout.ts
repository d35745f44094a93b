import type { ConditionalAccessPolicy } from '../identity/snapshot.js';
import { TENANT_SUBJECT_TYPES, tenantSubjectIds } from '../identity/snapshot.js';
import { defineTenantControl } from './define-tenant.js';
import {
  coversApp,
  coversRole,
  describeHours,
  isEnforced,
  persistentBrowserMode,
  privilegedRoles,
  signInFrequencyHours,
  targetsAllUsers,
} from './identity.js';

/** The shortest sign-in frequency among the policies (null: none sets one). */
function shortest(
  policies: readonly ConditionalAccessPolicy[],
): { hours: number; policy: ConditionalAccessPolicy } | null {
  let best: { hours: number; policy: ConditionalAccessPolicy } | null = null;
  for (const policy of policies) {
    const hours = signInFrequencyHours(policy);
    if (hours !== null && (best === null || hours < best.hours)) best = { hours, policy };
  }
  return best;
}

/**
 * Session timeouts: privileged roles and the configured apps (patient portal, scheduling) must
 * re-authenticate at most every `sessionMaxHours`; admins must not keep a persistent browser
 * session (an enforced policy sets it to `never`, none sets `always`). The shortest enforced
 * frequency wins, as in Entra. Units are Graph's: hours or days.
 */
export const idnSessionTimeout = defineTenantControl({
  id: 'IDN-SESSION-TIMEOUT',
  title: 'Admin and patient-facing app sessions must time out',
  severity: 'medium',
  criteria: ['CC6.1'],
  // No built-in Azure Policy judges Conditional Access session controls (checked in the test).
  azurePolicyDefinitionIds: [],
  remediationDescription:
    'Audit only: set a Conditional Access sign-in frequency within the limit, and persistent browser "never" for privileged roles.',
  evaluate(snapshot, settings, verdict) {
    const enforced = snapshot.conditionalAccessPolicies.filter(isEnforced);
    const limit = describeHours(settings.sessionMaxHours);
    const findings = privilegedRoles(snapshot, settings).map((role) => {
      const subject = {
        id: tenantSubjectIds.role(snapshot.tenantId, role.id),
        type: TENANT_SUBJECT_TYPES.role,
      };
      const policies = enforced.filter((policy) => coversRole(policy, role.id));
      const problems: string[] = [];
      const frequency = shortest(policies);
      if (frequency === null) problems.push('no enforced policy sets a sign-in frequency');
      else if (frequency.hours > settings.sessionMaxHours)
        problems.push(
          `sign-in frequency is ${describeHours(frequency.hours)} ("${frequency.policy.displayName}"), above ${limit}`,
        );
      const modes = policies.map(persistentBrowserMode);
      const always = policies.filter((_, i) => modes[i] === 'always');
      if (always.length > 0)
        problems.push(`persistent browser sessions are allowed by "${always[0]?.displayName}"`);
      else if (!modes.includes('never'))
        problems.push('no enforced policy turns persistent browser sessions off');
      return problems.length > 0
        ? verdict.fail(subject, `${role.displayName}: ${problems.join('; ')}.`)
        : verdict.pass(
            subject,
            `${role.displayName}: re-authentication ${describeHours(frequency?.hours ?? 0)}, no persistent browser session.`,
          );
    });
    for (const app of settings.sessionApps) {
      const subject = {
        id: tenantSubjectIds.application(snapshot.tenantId, app.appId),
        type: TENANT_SUBJECT_TYPES.application,
      };
      const frequency = shortest(
        enforced.filter((policy) => coversApp(policy, app.appId) && targetsAllUsers(policy)),
      );
      if (frequency === null)
        findings.push(
          verdict.fail(subject, `${app.name}: no enforced policy for all users sets a sign-in frequency.`),
        );
      else if (frequency.hours > settings.sessionMaxHours)
        findings.push(
          verdict.fail(
            subject,
            `${app.name}: sign-in frequency is ${describeHours(frequency.hours)} ("${frequency.policy.displayName}"), above ${limit}.`,
          ),
        );
      else
        findings.push(
          verdict.pass(
            subject,
            `${app.name}: re-authentication ${describeHours(frequency.hours)} ("${frequency.policy.displayName}").`,
          ),
        );
    }
    return findings;
  },
});
