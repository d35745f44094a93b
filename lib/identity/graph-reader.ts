import { isRestError } from '../util/errors.js';
import type { GraphClient } from './graph-client.js';
import type {
  AccessReviewDefinition,
  AccessReviewInstance,
  ConditionalAccessPolicy,
  PrincipalType,
  RoleAssignment,
  RoleDefinition,
  TenantSnapshot,
} from './snapshot.js';

/**
 * Reads the tenant identity snapshot from Graph v1.0: a fixed number of collection reads, each
 * followed through `@odata.nextLink`, plus JSON batches for what is per group or per review
 * (group members, review instances). Never a call per user: the cost grows with policies, roles,
 * groups referenced and reviews, not with the directory's size.
 */

interface Principal {
  '@odata.type'?: string;
  id?: string;
  userPrincipalName?: string;
  displayName?: string;
}

interface RawAssignment {
  id: string;
  roleDefinitionId: string;
  principalId: string;
  principal?: Principal | null;
}

function principalType(principal: Principal | null | undefined): PrincipalType {
  switch ((principal?.['@odata.type'] ?? '').toLowerCase()) {
    case '#microsoft.graph.user':
      return 'user';
    case '#microsoft.graph.group':
      return 'group';
    case '#microsoft.graph.serviceprincipal':
      return 'servicePrincipal';
    default:
      return 'unknown';
  }
}

function toAssignment(raw: RawAssignment, assignment: RoleAssignment['assignment']): RoleAssignment {
  return {
    id: raw.id,
    roleDefinitionId: raw.roleDefinitionId,
    principalId: raw.principalId,
    principalType: principalType(raw.principal),
    principalName: raw.principal?.userPrincipalName ?? raw.principal?.displayName ?? null,
    assignment,
  };
}

/** PIM eligibility needs Entra ID P2; without it Graph refuses the read. The active view still stands. */
function isUnavailable(error: unknown): boolean {
  return (
    isRestError(error) && (error.statusCode === 400 || error.statusCode === 403 || error.statusCode === 404)
  );
}

export interface ReadSnapshotOptions {
  now?: Date;
  /** the tenant id when known (DW_TENANT_ID); otherwise read from /organization */
  tenantId?: string | null;
  log?: (line: string) => void;
}

export async function readTenantSnapshot(
  graph: GraphClient,
  options: ReadSnapshotOptions = {},
): Promise<TenantSnapshot> {
  const log = options.log ?? (() => {});
  const tenantIdRead = options.tenantId
    ? Promise.resolve(options.tenantId)
    : graph.list<{ id: string }>('/organization?$select=id').then((orgs) => orgs[0]?.id ?? 'unknown');
  const [tenantId, policies, roleDefinitions, active, eligible, definitions] = await Promise.all([
    tenantIdRead,
    graph.list<ConditionalAccessPolicy>('/identity/conditionalAccess/policies'),
    graph.list<RoleDefinition>(
      '/roleManagement/directory/roleDefinitions?$select=id,displayName,templateId,isBuiltIn',
    ),
    graph.list<RawAssignment>('/roleManagement/directory/roleAssignments?$expand=principal'),
    graph
      .list<RawAssignment>('/roleManagement/directory/roleEligibilitySchedules?$expand=principal')
      .catch((error: unknown) => {
        if (!isUnavailable(error)) throw error;
        log(
          `identity: PIM eligible assignments not readable (${(error as Error).message}); judging active assignments only`,
        );
        return [] as RawAssignment[];
      }),
    graph.list<Omit<AccessReviewDefinition, 'instances'>>('/identityGovernance/accessReviews/definitions'),
  ]);
  const roleAssignments = [
    ...active.map((raw) => toAssignment(raw, 'active')),
    ...eligible.map((raw) => toAssignment(raw, 'eligible')),
  ];

  // Groups whose members matter: CA user conditions, and groups that hold roles.
  const groups = new Set<string>();
  for (const policy of policies) {
    for (const id of [
      ...(policy.conditions.users?.excludeGroups ?? []),
      ...(policy.conditions.users?.includeGroups ?? []),
    ])
      groups.add(id.toLowerCase());
  }
  for (const assignment of roleAssignments)
    if (assignment.principalType === 'group') groups.add(assignment.principalId.toLowerCase());

  const [members, instances] = await Promise.all([
    graph.listBatched<{ id: string }>(
      [...groups].map((id) => ({
        id,
        url: `/groups/${id}/transitiveMembers/microsoft.graph.user?$select=id`,
      })),
    ),
    graph.listBatched<AccessReviewInstance>(
      definitions.map((definition) => ({
        id: definition.id,
        url: `/identityGovernance/accessReviews/definitions/${definition.id}/instances`,
      })),
    ),
  ]);
  return {
    tenantId,
    readAt: (options.now ?? new Date()).toISOString(),
    conditionalAccessPolicies: policies,
    roleDefinitions,
    roleAssignments,
    groupMembers: Object.fromEntries(
      [...groups].map((id) => [id, (members.get(id) ?? []).map((user) => user.id)]),
    ),
    accessReviews: definitions.map((definition) => ({
      ...definition,
      instances: instances.get(definition.id) ?? [],
    })),
  };
}

/**
 * The Graph application permissions these reads need (infra/grant-graph-permissions.sh grants
 * exactly these; the README documents them). /organization is read only without DW_TENANT_ID
 * (infra always sets it).
 */
export const GRAPH_APPLICATION_PERMISSIONS = [
  'Policy.Read.All', // /identity/conditionalAccess/policies
  'RoleManagement.Read.Directory', // roleDefinitions, roleAssignments, roleEligibilitySchedules
  'AccessReview.Read.All', // identityGovernance/accessReviews/definitions (+ instances)
  'GroupMember.Read.All', // /groups/{id}/transitiveMembers
] as const;
