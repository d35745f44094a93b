import {
  type ConditionalAccessPolicy,
  TENANT_SUBJECT_TYPES,
  tenantSubjectIds,
} from '../identity/snapshot.js';
import { defineTenantControl } from './define-tenant.js';
import { exclusionOf, mfaPoliciesForRole, privilegedRoles, roleHolders, templateOf } from './identity.js';

/**
 * No silent MFA exemptions: a user holding a privileged role (active or PIM-eligible, directly or
 * through a role-assignable group) must not be excluded — by user, group or role — from every
 * policy that makes that role use MFA (or covered only by a narrower one). Break-glass accounts are the legitimate case: they need an
 * exception scoped to the user's object id, so the exemption is approved, justified and expiring.
 */
/** 2: all cloud apps; 1: Azure management only (the policies here cover one or the other). */
const reach = (policy: ConditionalAccessPolicy) =>
  (policy.conditions.applications?.includeApplications ?? []).some((app) => app.toLowerCase() === 'all')
    ? 2
    : 1;

export const idnMfaExclusion = defineTenantControl({
  id: 'IDN-MFA-EXCLUSION',
  title: 'Privileged users must not be excluded from MFA policies',
  severity: 'critical',
  criteria: ['CC6.1', 'CC6.2'],
  azurePolicyDefinitionIds: ['e3e008c3-56b9-4133-8fd7-d3347377402a', '931e118d-50a1-4457-a5e4-78550e086c52'],
  remediationDescription:
    'Audit only: remove the user (or their group) from the policy exclusions, or record an exception for a break-glass account.',
  evaluate(snapshot, settings, verdict) {
    const privileged = new Map(privilegedRoles(snapshot, settings).map((role) => [templateOf(role), role]));
    const policiesByRole = new Map(
      [...privileged.keys()].map((id) => [id, mfaPoliciesForRole(snapshot, id)]),
    );
    const findings = [];
    for (const holder of roleHolders(snapshot).values()) {
      const roles = holder.roles.filter((role) => privileged.has(role));
      if (roles.length === 0) continue;
      const subject = {
        id: tenantSubjectIds.user(snapshot.tenantId, holder.userId),
        type: TENANT_SUBJECT_TYPES.user,
      };
      const problems: string[] = [];
      let covered = 0;
      for (const roleId of roles) {
        const policies = policiesByRole.get(roleId) ?? [];
        if (policies.length === 0) continue; // no MFA policy at all: IDN-ADMIN-MFA's finding
        covered++;
        const reasons = policies.map((policy) => exclusionOf(policy, holder.userId, holder.roles, snapshot));
        // Covered as widely as the policies reach: an exclusion from an all-apps policy is not made
        // good by a policy for Azure management only (the admin centres and Graph stay MFA-free).
        const required = Math.max(...policies.map(reach));
        const effective = Math.max(0, ...policies.filter((_, i) => reasons[i] === null).map(reach));
        if (effective < required) {
          const how = policies
            .filter((_, i) => reasons[i] !== null)
            .map((policy) => `"${policy.displayName}" (${reasons[policies.indexOf(policy)]})`)
            .join(', ');
          problems.push(`${privileged.get(roleId)?.displayName ?? roleId}: excluded from ${how}`);
        }
      }
      const who = holder.name === holder.userId ? holder.userId : `${holder.name} (${holder.userId})`;
      if (problems.length > 0)
        findings.push(
          verdict.fail(subject, `${who} holds a privileged role but bypasses MFA: ${problems.join('; ')}.`),
        );
      else if (covered > 0)
        findings.push(
          verdict.pass(subject, `${who}: covered by an MFA policy for every privileged role held.`),
        );
      else
        findings.push(
          verdict.notApplicable(subject, `${who}: no MFA policy covers their roles (see IDN-ADMIN-MFA).`),
        );
    }
    return findings;
  },
});
