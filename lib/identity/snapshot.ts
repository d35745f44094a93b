/**
 * The tenant identity snapshot: what the identity controls judge, read from Microsoft Graph v1.0
 * by lib/identity/graph.ts (audit only: driftwarden never writes identity policy). Shapes are the
 * subset of Graph's JSON the controls read, with Graph's property names, so a fixture is what
 * Graph returns. Pure data: no I/O here.
 */

/** `enabledForReportingButNotEnforced` is report-only: evaluated by Entra, never enforced. */
export type ConditionalAccessState = 'enabled' | 'disabled' | 'enabledForReportingButNotEnforced';

export interface ConditionalAccessPolicy {
  id: string;
  displayName: string;
  state: ConditionalAccessState | string;
  conditions: {
    users?: {
      includeUsers?: string[];
      excludeUsers?: string[];
      includeGroups?: string[];
      excludeGroups?: string[];
      includeRoles?: string[];
      excludeRoles?: string[];
    } | null;
    applications?: { includeApplications?: string[]; excludeApplications?: string[] } | null;
  };
  grantControls?: {
    operator?: 'AND' | 'OR' | string;
    builtInControls?: string[];
    authenticationStrength?: { id: string; displayName?: string } | null;
  } | null;
  sessionControls?: {
    signInFrequency?: {
      isEnabled?: boolean;
      value?: number | null;
      type?: 'hours' | 'days' | string | null;
      /** `everyTime` re-authenticates on every sign-in (no value/type) */
      frequencyInterval?: 'timeBased' | 'everyTime' | string;
    } | null;
    persistentBrowser?: { isEnabled?: boolean; mode?: 'always' | 'never' | string } | null;
  } | null;
}

export interface RoleDefinition {
  id: string;
  displayName: string;
  /** built-in roles: equals `id`; Conditional Access `includeRoles` lists template ids */
  templateId?: string | null;
  isBuiltIn?: boolean;
}

export type PrincipalType = 'user' | 'group' | 'servicePrincipal' | 'unknown';

export interface RoleAssignment {
  id: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: PrincipalType;
  /** userPrincipalName or display name, for messages (null when Graph did not expand it) */
  principalName: string | null;
  /** active assignment, or PIM-eligible (activatable) */
  assignment: 'active' | 'eligible';
}

export interface AccessReviewInstance {
  id: string;
  /** Graph: NotStarted | InProgress | Completed | AutoReviewing | AutoReviewed | Applying | Applied ... */
  status: string;
  startDateTime?: string | null;
  endDateTime?: string | null;
}

export interface AccessReviewDefinition {
  id: string;
  displayName: string;
  status?: string;
  /** Graph's accessReviewScope: `query` or principalResourceMembershipsScope's `resourceScopes[].query` */
  scope?: {
    query?: string;
    resourceScopes?: { query?: string }[];
    principalScopes?: { query?: string }[];
  } | null;
  settings?: {
    recurrence?: {
      pattern?: { type?: string; interval?: number } | null;
      range?: { type?: string; endDate?: string | null } | null;
    } | null;
  } | null;
  instances: AccessReviewInstance[];
}

export interface TenantSnapshot {
  tenantId: string;
  /** when Graph was read (ISO 8601): the "now" of the access-review age */
  readAt: string;
  conditionalAccessPolicies: ConditionalAccessPolicy[];
  roleDefinitions: RoleDefinition[];
  roleAssignments: RoleAssignment[];
  /** transitive user members of the groups the evaluation needs (CA exclusions, role-assignable groups) */
  groupMembers: Record<string, string[]>;
  accessReviews: AccessReviewDefinition[];
}

/** Microsoft's "Windows Azure Service Management API" app id: the Azure portal, CLI, PowerShell, ARM. */
export const AZURE_MANAGEMENT_APP_ID = '797f4846-ba00-4fd7-ba43-dac1f8f63013';

/** Resource ids of tenant-level subjects (findings, evidence, exception scopes). */
export const tenantSubjectIds = {
  tenant: (tenantId: string) => `/tenants/${tenantId}`,
  role: (tenantId: string, roleId: string) => `/tenants/${tenantId}/roleDefinitions/${roleId}`,
  user: (tenantId: string, userId: string) => `/tenants/${tenantId}/users/${userId}`,
  application: (tenantId: string, appId: string) => `/tenants/${tenantId}/applications/${appId}`,
};

/** The "types" of tenant-level subjects, spelled like ARM types so findings keep one shape. */
export const TENANT_SUBJECT_TYPES = {
  role: 'Microsoft.Graph/roleDefinitions',
  user: 'Microsoft.Graph/users',
  application: 'Microsoft.Graph/applications',
} as const;
