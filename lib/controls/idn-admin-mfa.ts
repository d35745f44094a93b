import { AZURE_MANAGEMENT_APP_ID, TENANT_SUBJECT_TYPES, tenantSubjectIds } from '../identity/snapshot.js';
import { defineTenantControl } from './define-tenant.js';
import {
  coversAzureManagement,
  isEnforced,
  mfaPoliciesForRole,
  policyNames,
  privilegedRoles,
  reportOnlyMfaPoliciesForRole,
  requiresMfa,
  targetsAllUsers,
} from './identity.js';

/**
 * MFA for administrators: every privileged directory role is covered by an enforced Conditional
 * Access policy requiring MFA (or an authentication strength) for all cloud apps or Azure
 * management; and Azure management itself requires MFA for everyone. A report-only policy
 * enforces nothing: it is named in the failure, so the fix is "turn it on".
 */
export const idnAdminMfa = defineTenantControl({
  id: 'IDN-ADMIN-MFA',
  title: 'Privileged directory roles and Azure management must require MFA',
  severity: 'critical',
  criteria: ['CC6.1', 'CC6.2'],
  // "Accounts with owner / write permissions on Azure resources should be MFA enabled"
  azurePolicyDefinitionIds: ['e3e008c3-56b9-4133-8fd7-d3347377402a', '931e118d-50a1-4457-a5e4-78550e086c52'],
  remediationDescription:
    'Audit only: enable a Conditional Access policy requiring MFA (or an authentication strength) for the role, for all cloud apps or Azure management.',
  evaluate(snapshot, settings, verdict) {
    const findings = privilegedRoles(snapshot, settings).map((role) => {
      const subject = {
        id: tenantSubjectIds.role(snapshot.tenantId, role.id),
        type: TENANT_SUBJECT_TYPES.role,
      };
      const covering = mfaPoliciesForRole(snapshot, role.id);
      if (covering.length > 0)
        return verdict.pass(subject, `${role.displayName}: MFA required by ${policyNames(covering)}.`);
      const reportOnly = reportOnlyMfaPoliciesForRole(snapshot, role.id);
      const hint =
        reportOnly.length > 0 ? ` ${policyNames(reportOnly)} would, but is report-only (not enforced).` : '';
      return verdict.fail(
        subject,
        `${role.displayName}: no enabled Conditional Access policy requires MFA for this role on all cloud apps or Azure management.${hint}`,
      );
    });
    const management = snapshot.conditionalAccessPolicies.filter(
      (policy) =>
        isEnforced(policy) && requiresMfa(policy) && coversAzureManagement(policy) && targetsAllUsers(policy),
    );
    const subject = {
      id: tenantSubjectIds.application(snapshot.tenantId, AZURE_MANAGEMENT_APP_ID),
      type: TENANT_SUBJECT_TYPES.application,
    };
    findings.push(
      management.length > 0
        ? verdict.pass(subject, `Azure management: MFA required for all users by ${policyNames(management)}.`)
        : verdict.fail(
            subject,
            'Azure management: no enabled Conditional Access policy requires MFA for all users on Azure management (portal, CLI, ARM).',
          ),
    );
    return findings;
  },
});
