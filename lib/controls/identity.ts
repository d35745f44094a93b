import {
  AZURE_MANAGEMENT_APP_ID,
  type ConditionalAccessPolicy,
  type RoleAssignment,
  type RoleDefinition,
  type TenantSnapshot,
} from '../identity/snapshot.js';
import type { IdentitySettings } from './identity-settings.js';

/**
 * What the identity controls share: which Conditional Access policies reach a role, a user or an
 * app, which of them require MFA, and how long their sessions last. Pure functions over the
 * snapshot (lib/identity/snapshot.ts). Graph compares ids case-insensitively: so do we.
 */

const lower = (values: readonly string[] | undefined): string[] => (values ?? []).map((v) => v.toLowerCase());
const hasId = (values: readonly string[] | undefined, id: string) => lower(values).includes(id.toLowerCase());

/** Enforced (report-only and disabled policies protect no one). */
export const isEnforced = (policy: ConditionalAccessPolicy) => policy.state === 'enabled';
export const isReportOnly = (policy: ConditionalAccessPolicy) =>
  policy.state === 'enabledForReportingButNotEnforced';

/**
 * Requires MFA: the `mfa` grant or an authentication strength, and no way around it (an OR with
 * another grant, e.g. a compliant device, lets a user satisfy the policy without MFA).
 */
export function requiresMfa(policy: ConditionalAccessPolicy): boolean {
  const grant = policy.grantControls;
  if (!grant) return false;
  const controls = lower(grant.builtInControls);
  if (controls.includes('block')) return false;
  const strength = grant.authenticationStrength != null;
  const mfa = controls.includes('mfa') || strength;
  if (!mfa) return false;
  const others = controls.filter((control) => control !== 'mfa');
  return (grant.operator ?? 'OR').toUpperCase() === 'AND' || others.length === 0;
}

/** All cloud apps, or the Azure management API (portal, CLI, ARM), and not excluded. */
export function coversAzureManagement(policy: ConditionalAccessPolicy): boolean {
  const apps = policy.conditions.applications;
  const included =
    hasId(apps?.includeApplications, 'All') || hasId(apps?.includeApplications, AZURE_MANAGEMENT_APP_ID);
  return included && !hasId(apps?.excludeApplications, AZURE_MANAGEMENT_APP_ID);
}

/** The policy targets this app (by id, or all cloud apps) and does not exclude it. */
export function coversApp(policy: ConditionalAccessPolicy, appId: string): boolean {
  const apps = policy.conditions.applications;
  const included = hasId(apps?.includeApplications, 'All') || hasId(apps?.includeApplications, appId);
  return included && !hasId(apps?.excludeApplications, appId);
}

/** Targets everyone holding the role: all users, or the role itself; and the role is not excluded. */
export function coversRole(policy: ConditionalAccessPolicy, roleId: string): boolean {
  const users = policy.conditions.users;
  const included = hasId(users?.includeUsers, 'All') || hasId(users?.includeRoles, roleId);
  return included && !hasId(users?.excludeRoles, roleId);
}

export const targetsAllUsers = (policy: ConditionalAccessPolicy) =>
  hasId(policy.conditions.users?.includeUsers, 'All');

/** The policies that make a role's holders use MFA for Azure management (IDN-ADMIN-MFA's bar). */
export function mfaPoliciesForRole(snapshot: TenantSnapshot, roleId: string): ConditionalAccessPolicy[] {
  return snapshot.conditionalAccessPolicies.filter(
    (policy) =>
      isEnforced(policy) &&
      requiresMfa(policy) &&
      coversAzureManagement(policy) &&
      coversRole(policy, roleId),
  );
}

/** Report-only policies that would meet the bar if enforced (named in a failure, so the fix is obvious). */
export function reportOnlyMfaPoliciesForRole(
  snapshot: TenantSnapshot,
  roleId: string,
): ConditionalAccessPolicy[] {
  return snapshot.conditionalAccessPolicies.filter(
    (policy) =>
      isReportOnly(policy) &&
      requiresMfa(policy) &&
      coversAzureManagement(policy) &&
      coversRole(policy, roleId),
  );
}

/** Why a user is excluded from a policy (null: not excluded): directly, via a group, or via a role. */
export function exclusionOf(
  policy: ConditionalAccessPolicy,
  userId: string,
  userRoles: readonly string[],
  snapshot: TenantSnapshot,
  groupNames: (groupId: string) => string = (id) => id,
): string | null {
  const users = policy.conditions.users;
  if (hasId(users?.excludeUsers, userId)) return 'excluded by user';
  for (const groupId of users?.excludeGroups ?? []) {
    if (memberSet(snapshot, groupId).has(userId.toLowerCase()))
      return `excluded via group ${groupNames(groupId)}`;
  }
  for (const roleId of users?.excludeRoles ?? []) {
    if (hasId(userRoles, roleId)) return `excluded via role ${roleId}`;
  }
  return null;
}

const memberSets = new WeakMap<TenantSnapshot, Map<string, Set<string>>>();

/** A group's members as a set of lower-cased ids, built once per snapshot and group (exclusion checks are hot). */
function memberSet(snapshot: TenantSnapshot, groupId: string): Set<string> {
  let byGroup = memberSets.get(snapshot);
  if (!byGroup) {
    byGroup = new Map();
    memberSets.set(snapshot, byGroup);
  }
  const key = groupId.toLowerCase();
  let set = byGroup.get(key);
  if (!set) {
    set = new Set(membersOf(snapshot, groupId).map((id) => id.toLowerCase()));
    byGroup.set(key, set);
  }
  return set;
}

/** Transitive user members of a group, as read (case-insensitive lookup of the group id). */
export function membersOf(snapshot: TenantSnapshot, groupId: string): string[] {
  const direct = snapshot.groupMembers[groupId];
  if (direct) return direct;
  const key = Object.keys(snapshot.groupMembers).find((id) => id.toLowerCase() === groupId.toLowerCase());
  return key ? (snapshot.groupMembers[key] ?? []) : [];
}

/** A role's template id (what Conditional Access and the privileged list use). */
export const templateOf = (role: RoleDefinition) => (role.templateId ?? role.id).toLowerCase();

/** The privileged roles the tenant defines (or the list's ids, when Graph did not return a definition). */
export function privilegedRoles(snapshot: TenantSnapshot, settings: IdentitySettings): RoleDefinition[] {
  const byTemplate = new Map(snapshot.roleDefinitions.map((role) => [templateOf(role), role]));
  return settings.privilegedRoleIds.map(
    (id) =>
      byTemplate.get(id.toLowerCase()) ?? {
        id: id.toLowerCase(),
        displayName: id,
        templateId: id.toLowerCase(),
      },
  );
}

export interface RoleHolder {
  userId: string;
  name: string;
  /** template ids of every role the user holds (active or eligible, directly or via a group) */
  roles: string[];
}

/**
 * The users holding roles: user assignments directly, group assignments (role-assignable groups)
 * expanded through the group's members. Service principals are not users: Conditional Access
 * user policies do not apply to them, so they are left out.
 */
export function roleHolders(snapshot: TenantSnapshot): Map<string, RoleHolder> {
  const templateById = new Map(
    snapshot.roleDefinitions.map((role) => [role.id.toLowerCase(), templateOf(role)]),
  );
  const holders = new Map<string, RoleHolder>();
  const add = (userId: string, name: string, role: string) => {
    const key = userId.toLowerCase();
    const holder = holders.get(key) ?? { userId, name, roles: [] };
    if (!holder.roles.includes(role)) holder.roles.push(role);
    holders.set(key, holder);
  };
  for (const assignment of snapshot.roleAssignments) {
    const role =
      templateById.get(assignment.roleDefinitionId.toLowerCase()) ??
      assignment.roleDefinitionId.toLowerCase();
    // 'unknown': Graph did not expand the principal; judging it as a user is the safe side (a
    // service principal is in no user exclusion, so it can only pass).
    if (assignment.principalType === 'user' || assignment.principalType === 'unknown')
      add(assignment.principalId, nameOf(assignment), role);
    else if (assignment.principalType === 'group') {
      for (const member of membersOf(snapshot, assignment.principalId)) add(member, member, role);
    }
  }
  return holders;
}

const nameOf = (assignment: RoleAssignment) => assignment.principalName ?? assignment.principalId;

/** Holders of one role (template id). */
export function holdersOf(holders: Map<string, RoleHolder>, roleId: string): RoleHolder[] {
  const id = roleId.toLowerCase();
  return [...holders.values()].filter((holder) => holder.roles.includes(id));
}

/**
 * A policy's sign-in frequency in hours (0 = every sign-in), or null when it sets none.
 * Graph spells the unit `hours` or `days`.
 */
export function signInFrequencyHours(policy: ConditionalAccessPolicy): number | null {
  const frequency = policy.sessionControls?.signInFrequency;
  if (!frequency || frequency.isEnabled === false) return null;
  if (frequency.frequencyInterval === 'everyTime') return 0;
  if (typeof frequency.value !== 'number' || frequency.value <= 0) return null;
  const unit = (frequency.type ?? '').toLowerCase();
  if (unit === 'hours') return frequency.value;
  if (unit === 'days') return frequency.value * 24;
  return null;
}

/** 'always' | 'never' | null (not set) for an enabled persistent-browser control. */
export function persistentBrowserMode(policy: ConditionalAccessPolicy): 'always' | 'never' | null {
  const browser = policy.sessionControls?.persistentBrowser;
  if (!browser || browser.isEnabled === false) return null;
  const mode = (browser.mode ?? '').toLowerCase();
  return mode === 'always' || mode === 'never' ? mode : null;
}

export function describeHours(hours: number): string {
  if (hours === 0) return 'every sign-in';
  return hours % 24 === 0 ? `${hours / 24} day(s)` : `${hours} hour(s)`;
}

export const policyNames = (policies: readonly ConditionalAccessPolicy[]) =>
  policies.map((policy) => `"${policy.displayName}"`).join(', ');
