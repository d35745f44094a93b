/**
 * The demo tenant `npm start` serves through the sandbox's Microsoft Graph, and the Azure Policy
 * compliance states of the demo subscription. It is mostly in order, with the two findings the
 * identity controls exist for:
 * - an admin service account (svc-backup, Global Administrator) excluded from the admin MFA policy
 *   through the "MFA exempt service accounts" group → IDN-MFA-EXCLUSION fails;
 * - the Security Administrator role (held, PIM-eligible, by sam) has no access review →
 *   IDN-ACCESS-REVIEW fails. Global Administrator is reviewed quarterly.
 * The scheduling app keeps sessions for 7 days → IDN-SESSION-TIMEOUT fails for it.
 * Policy states: Azure Policy agrees with driftwarden on most resources; it still reports the
 * telehealth account's TLS as non-compliant (stale), and the MFA-for-owners policy is compliant
 * while the excluded admin bypasses MFA: two disagreements to investigate. The SOC 2 Type 2
 * initiative is not assigned.
 */
import type { DirectorySpec, PolicyStateSpec } from '../arm-sandbox/index.js';

/** Microsoft's admin role template ids (the default privileged list) and their names. */
const ROLES = {
  globalAdmin: '62e90394-69f5-4237-9190-012177145e10',
  privilegedRoleAdmin: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  privilegedAuthAdmin: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
  securityAdmin: '194ae4cb-b126-40b2-bd5b-6091b380977d',
  conditionalAccessAdmin: 'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9',
  authAdmin: 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
  applicationAdmin: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
  cloudApplicationAdmin: '158c047a-c907-4556-b7ef-446551a6b5f7',
  userAdmin: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  helpdeskAdmin: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  exchangeAdmin: '29232cdf-9323-42fd-ade2-1d097af3e4de',
  sharePointAdmin: 'f28a1f50-f6e7-4571-818b-6a12f2af6b6c',
  billingAdmin: 'b0f54661-2d74-4c50-afa3-1ec803f12efe',
  intuneAdmin: '3a2c62db-5318-420d-8d74-23affee5d9d5',
} as const;

const ROLE_NAMES: Record<string, string> = {
  [ROLES.globalAdmin]: 'Global Administrator',
  [ROLES.privilegedRoleAdmin]: 'Privileged Role Administrator',
  [ROLES.privilegedAuthAdmin]: 'Privileged Authentication Administrator',
  [ROLES.securityAdmin]: 'Security Administrator',
  [ROLES.conditionalAccessAdmin]: 'Conditional Access Administrator',
  [ROLES.authAdmin]: 'Authentication Administrator',
  [ROLES.applicationAdmin]: 'Application Administrator',
  [ROLES.cloudApplicationAdmin]: 'Cloud Application Administrator',
  [ROLES.userAdmin]: 'User Administrator',
  [ROLES.helpdeskAdmin]: 'Helpdesk Administrator',
  [ROLES.exchangeAdmin]: 'Exchange Administrator',
  [ROLES.sharePointAdmin]: 'SharePoint Administrator',
  [ROLES.billingAdmin]: 'Billing Administrator',
  [ROLES.intuneAdmin]: 'Intune Administrator',
};

export const DEMO_TENANT = {
  users: {
    dana: 'd0000000-0000-4000-8000-00000000da01',
    sam: 'd0000000-0000-4000-8000-00000000da02',
    svcBackup: 'd0000000-0000-4000-8000-00000000da03',
    nurse: 'd0000000-0000-4000-8000-00000000da04',
  },
  mfaExemptGroup: 'd0000000-0000-4000-8000-00000000ab01',
  apps: {
    patientPortal: 'a0000000-0000-4000-8000-0000000000a1',
    scheduling: 'a0000000-0000-4000-8000-0000000000a2',
  },
  roles: ROLES,
} as const;

/** DW_IDENTITY_SESSION_APPS for local mode: the demo's patient-facing apps. */
export const DEMO_SESSION_APPS = `Patient portal=${DEMO_TENANT.apps.patientPortal},Scheduling=${DEMO_TENANT.apps.scheduling}`;

const AZURE_MANAGEMENT_APP_ID = '797f4846-ba00-4fd7-ba43-dac1f8f63013';
const DAY_MS = 86_400_000;

export function demoDirectory(now: Date = new Date()): DirectorySpec {
  const u = DEMO_TENANT.users;
  const privileged = Object.values(ROLES);
  const ago = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
  return {
    users: [
      { id: u.dana, userPrincipalName: 'dana.admin@contoso.example', displayName: 'Dana (IT admin)' },
      { id: u.sam, userPrincipalName: 'sam.secops@contoso.example', displayName: 'Sam (security)' },
      {
        id: u.svcBackup,
        userPrincipalName: 'svc-backup@contoso.example',
        displayName: 'Backup service account',
      },
      { id: u.nurse, userPrincipalName: 'nurse.lee@contoso.example', displayName: 'Lee (nurse)' },
    ],
    groups: [
      { id: DEMO_TENANT.mfaExemptGroup, displayName: 'MFA exempt service accounts', members: [u.svcBackup] },
    ],
    servicePrincipals: [{ id: 'd0000000-0000-4000-8000-00000000ee01', displayName: 'driftwarden' }],
    roleDefinitions: Object.entries(ROLE_NAMES).map(([id, displayName]) => ({
      id,
      displayName,
      templateId: id,
      isBuiltIn: true,
    })),
    roleAssignments: [
      { id: 'demo-ra-dana', roleDefinitionId: ROLES.globalAdmin, principalId: u.dana },
      { id: 'demo-ra-svc', roleDefinitionId: ROLES.globalAdmin, principalId: u.svcBackup },
    ],
    roleEligibilitySchedules: [
      { id: 'demo-es-sam', roleDefinitionId: ROLES.securityAdmin, principalId: u.sam },
    ],
    conditionalAccessPolicies: [
      {
        id: 'ca-admin-mfa',
        displayName: 'Require MFA for administrators',
        state: 'enabled',
        conditions: {
          users: { includeRoles: privileged, excludeGroups: [DEMO_TENANT.mfaExemptGroup] },
          applications: { includeApplications: ['All'] },
          clientAppTypes: ['all'],
        },
        grantControls: { operator: 'OR', builtInControls: ['mfa'] },
        sessionControls: {
          signInFrequency: { isEnabled: true, value: 4, type: 'hours', frequencyInterval: 'timeBased' },
          persistentBrowser: { isEnabled: true, mode: 'never' },
        },
      },
      {
        id: 'ca-azure-management-mfa',
        displayName: 'Require MFA for Azure management',
        state: 'enabled',
        conditions: {
          users: { includeUsers: ['All'] },
          applications: { includeApplications: [AZURE_MANAGEMENT_APP_ID] },
          clientAppTypes: ['all'],
        },
        grantControls: { operator: 'OR', builtInControls: ['mfa'] },
      },
      {
        id: 'ca-patient-portal-session',
        displayName: 'Patient portal: re-authenticate every 8 hours',
        state: 'enabled',
        conditions: {
          users: { includeUsers: ['All'] },
          applications: { includeApplications: [DEMO_TENANT.apps.patientPortal] },
        },
        sessionControls: {
          signInFrequency: { isEnabled: true, value: 8, type: 'hours', frequencyInterval: 'timeBased' },
        },
      },
      {
        id: 'ca-scheduling-session',
        displayName: 'Scheduling: re-authenticate weekly',
        state: 'enabled',
        conditions: {
          users: { includeUsers: ['All'] },
          applications: { includeApplications: [DEMO_TENANT.apps.scheduling] },
        },
        sessionControls: {
          signInFrequency: { isEnabled: true, value: 7, type: 'days', frequencyInterval: 'timeBased' },
        },
      },
      {
        id: 'ca-block-legacy-auth',
        displayName: 'Block legacy authentication (report-only)',
        state: 'enabledForReportingButNotEnforced',
        conditions: {
          users: { includeUsers: ['All'] },
          applications: { includeApplications: ['All'] },
          clientAppTypes: ['exchangeActiveSync', 'other'],
        },
        grantControls: { operator: 'OR', builtInControls: ['block'] },
      },
    ],
    accessReviews: [
      {
        id: 'demo-review-global-admins',
        displayName: 'Quarterly review: Global Administrators',
        status: 'InProgress',
        scope: {
          '@odata.type': '#microsoft.graph.principalResourceMembershipsScope',
          principalScopes: [{ query: '/users', queryType: 'MicrosoftGraph' }],
          resourceScopes: [
            {
              query: `/roleManagement/directory/roleDefinitions/${ROLES.globalAdmin}`,
              queryType: 'MicrosoftGraph',
            },
          ],
        },
        settings: {
          recurrence: { pattern: { type: 'absoluteMonthly', interval: 3 }, range: { type: 'noEnd' } },
        },
        instances: [
          { id: 'demo-review-ga-1', status: 'Completed', startDateTime: ago(45), endDateTime: ago(31) },
          { id: 'demo-review-ga-0', status: 'Completed', startDateTime: ago(135), endDateTime: ago(121) },
        ],
      },
    ],
  };
}

const POLICY = {
  secureTransfer: '404c3081-a854-4457-ae30-26a93ef643f9',
  publicBlob: '4fa4b6c0-31ca-4c0d-b10d-24b96f62a751',
  minTls: 'fe83a0eb-a853-422d-aac2-1bffd182c5d0',
  mfaOwners: 'e3e008c3-56b9-4133-8fd7-d3347377402a',
};

/** The demo accounts' ids (demo-scenario.ts passes them: it imports this module). */
interface DemoAccounts {
  patientAccount: string;
  telehealthAccount: string;
  schedulingAccount: string;
}

export function demoPolicyStates(subscriptionId: string, DEMO_IDS: DemoAccounts): PolicyStateSpec[] {
  const subscription = `/subscriptions/${subscriptionId}`;
  return [
    {
      resourceId: DEMO_IDS.patientAccount,
      policyDefinitionId: POLICY.publicBlob,
      complianceState: 'NonCompliant',
    },
    {
      resourceId: DEMO_IDS.telehealthAccount,
      policyDefinitionId: POLICY.publicBlob,
      complianceState: 'Compliant',
    },
    {
      resourceId: DEMO_IDS.schedulingAccount,
      policyDefinitionId: POLICY.publicBlob,
      complianceState: 'Compliant',
    },
    {
      resourceId: DEMO_IDS.patientAccount,
      policyDefinitionId: POLICY.secureTransfer,
      complianceState: 'Compliant',
    },
    {
      resourceId: DEMO_IDS.telehealthAccount,
      policyDefinitionId: POLICY.secureTransfer,
      complianceState: 'Compliant',
    },
    { resourceId: DEMO_IDS.patientAccount, policyDefinitionId: POLICY.minTls, complianceState: 'Compliant' },
    // stale: Azure Policy has not re-evaluated since TLS 1.2 was enforced
    {
      resourceId: DEMO_IDS.telehealthAccount,
      policyDefinitionId: POLICY.minTls,
      complianceState: 'NonCompliant',
    },
    {
      resourceId: DEMO_IDS.schedulingAccount,
      policyDefinitionId: POLICY.minTls,
      complianceState: 'NonCompliant',
    },
    // Azure Policy sees MFA registration of owners, not Conditional Access exclusions
    { resourceId: subscription, policyDefinitionId: POLICY.mfaOwners, complianceState: 'Compliant' },
  ];
}
