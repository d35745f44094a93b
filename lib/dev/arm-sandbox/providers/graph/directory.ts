/**
 * The sandbox's Entra directory: what the Microsoft Graph v1.0 routes serve (Conditional Access
 * policies, directory roles and their assignments, PIM eligibility, groups, access reviews).
 * Seeded from a scenario's `directory` (DirectorySpec); in memory, read only over HTTP.
 */

export interface DirectoryUser {
  id: string;
  userPrincipalName: string;
  displayName?: string;
}

export interface DirectoryGroup {
  id: string;
  displayName: string;
  /** user or group ids (nested groups are expanded by transitiveMembers) */
  members: string[];
}

export interface DirectoryRoleAssignment {
  id?: string;
  roleDefinitionId: string;
  principalId: string;
  directoryScopeId?: string;
}

export interface DirectoryAccessReview {
  id: string;
  displayName: string;
  [property: string]: unknown;
  /** served by .../definitions/{id}/instances, not inside the definition */
  instances?: Record<string, unknown>[];
}

/** A scenario's directory: Graph JSON as Graph returns it (policies, reviews) plus who is who. */
export interface DirectorySpec {
  users?: DirectoryUser[];
  groups?: DirectoryGroup[];
  servicePrincipals?: { id: string; displayName: string; appId?: string }[];
  conditionalAccessPolicies?: Record<string, unknown>[];
  roleDefinitions?: { id: string; displayName: string; templateId?: string; isBuiltIn?: boolean }[];
  roleAssignments?: DirectoryRoleAssignment[];
  /** PIM eligible assignments; omit `roleEligibilitySchedules` and set `pimUnlicensed` to answer 400 like an unlicensed tenant */
  roleEligibilitySchedules?: DirectoryRoleAssignment[];
  pimUnlicensed?: boolean;
  accessReviews?: DirectoryAccessReview[];
}

export class Directory {
  spec: Required<Omit<DirectorySpec, 'pimUnlicensed'>> & { pimUnlicensed: boolean } = Directory.empty();

  constructor(readonly tenantId: string) {}

  static empty() {
    return {
      users: [],
      groups: [],
      servicePrincipals: [],
      conditionalAccessPolicies: [],
      roleDefinitions: [],
      roleAssignments: [],
      roleEligibilitySchedules: [],
      accessReviews: [],
      pimUnlicensed: false,
    };
  }

  /** Adds to what is there (a second seed extends the directory, like a second scenario). */
  seed(spec: DirectorySpec): void {
    const s = this.spec;
    s.users.push(...structuredClone(spec.users ?? []));
    s.groups.push(...structuredClone(spec.groups ?? []));
    s.servicePrincipals.push(...structuredClone(spec.servicePrincipals ?? []));
    s.conditionalAccessPolicies.push(...structuredClone(spec.conditionalAccessPolicies ?? []));
    s.roleDefinitions.push(...structuredClone(spec.roleDefinitions ?? []));
    s.roleAssignments.push(...structuredClone(spec.roleAssignments ?? []));
    s.roleEligibilitySchedules.push(...structuredClone(spec.roleEligibilitySchedules ?? []));
    s.accessReviews.push(...structuredClone(spec.accessReviews ?? []));
    if (spec.pimUnlicensed) s.pimUnlicensed = true;
  }

  clear(): void {
    this.spec = Directory.empty();
    this.userIndex = null;
  }

  /** The principal as `$expand=principal` returns it (with its @odata.type), or null. */
  principal(id: string): Record<string, unknown> | null {
    const key = id.toLowerCase();
    const user = this.userById(key);
    if (user) return { '@odata.type': '#microsoft.graph.user', ...user };
    const group = this.spec.groups.find((g) => g.id.toLowerCase() === key);
    if (group)
      return { '@odata.type': '#microsoft.graph.group', id: group.id, displayName: group.displayName };
    const sp = this.spec.servicePrincipals.find((p) => p.id.toLowerCase() === key);
    if (sp) return { '@odata.type': '#microsoft.graph.servicePrincipal', ...sp };
    return null;
  }

  group(id: string): DirectoryGroup | undefined {
    return this.spec.groups.find((g) => g.id.toLowerCase() === id.toLowerCase());
  }

  /** users by lower-cased id, rebuilt when the user list changes (seeding) */
  private userIndex: { count: number; byId: Map<string, DirectoryUser> } | null = null;

  private userById(id: string): DirectoryUser | undefined {
    if (this.userIndex?.count !== this.spec.users.length) {
      this.userIndex = {
        count: this.spec.users.length,
        byId: new Map(this.spec.users.map((user) => [user.id.toLowerCase(), user])),
      };
    }
    return this.userIndex.byId.get(id.toLowerCase());
  }

  /** Users reached through the group and its nested groups (each once). */
  transitiveUsers(groupId: string): DirectoryUser[] {
    const seen = new Set<string>();
    const users = new Map<string, DirectoryUser>();
    const visit = (id: string) => {
      const group = this.group(id);
      if (!group || seen.has(group.id.toLowerCase())) return;
      seen.add(group.id.toLowerCase());
      for (const member of group.members) {
        const user = this.userById(member);
        if (user) users.set(user.id.toLowerCase(), user);
        else visit(member);
      }
    };
    visit(groupId);
    return [...users.values()];
  }
}
