import { DEFAULT_PRIVILEGED_ROLES, type IdentitySettings } from '../lib/controls/identity-settings.js';
import type { DirectorySpec } from '../lib/dev/arm-sandbox/index.js';
import { startSandbox } from '../lib/dev/arm-sandbox/index.js';
import { evaluateTenant } from '../lib/identity/evaluate.js';
import { GraphClient } from '../lib/identity/graph-client.js';
import { readTenantSnapshot } from '../lib/identity/graph-reader.js';

/**
 * Identity evaluation at the size of a hospital group's tenant: 5,000 users, 200 Conditional
 * Access policies, 50 directory roles (all judged as privileged), 600 role assignments (active and
 * PIM-eligible, some through role-assignable groups), 40 groups referenced by policies, 50 access
 * reviews. Reports the pure evaluation (min/median of 10) and a full read through the sandbox's
 * Graph with the real adapter: HTTP requests per run (paging and batches; none per user) and ms.
 */
export const name = 'identity';

const USERS = 5_000;
const POLICIES = 200;
const ROLES = 50;
const GROUPS = 40;
const REVIEWS = 50;
const guid = (prefix: number, i: number) =>
  `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

function directory(now: Date): DirectorySpec {
  const builtIn = Object.keys(DEFAULT_PRIVILEGED_ROLES);
  const roles = Array.from({ length: ROLES }, (_, i) => builtIn[i] ?? guid(0x7e, i));
  const users = Array.from({ length: USERS }, (_, i) => ({
    id: guid(0x05e4, i),
    userPrincipalName: `user${i}@contoso.example`,
  }));
  const groups = Array.from({ length: GROUPS }, (_, g) => ({
    id: guid(0x6a, g),
    displayName: `group-${g}`,
    // a few large groups (all staff, a department), most small
    members: users.filter((_, i) => (g < 3 ? i % (g + 2) === 0 : i % 97 === g)).map((u) => u.id),
  }));
  const roleAssignments = Array.from({ length: 500 }, (_, i) => ({
    id: `ra-${i}`,
    roleDefinitionId: roles[i % ROLES] as string,
    principalId:
      i % 50 === 0 ? (groups[10 + (i % 20)]?.id as string) : (users[(i * 37) % USERS]?.id as string),
  }));
  const roleEligibilitySchedules = Array.from({ length: 100 }, (_, i) => ({
    id: `es-${i}`,
    roleDefinitionId: roles[(i * 3) % ROLES] as string,
    principalId: users[(i * 53) % USERS]?.id as string,
  }));
  const conditionalAccessPolicies = Array.from({ length: POLICIES }, (_, p) => ({
    id: `ca-${p}`,
    displayName: `policy ${p}`,
    state: p % 10 === 0 ? 'enabledForReportingButNotEnforced' : p % 17 === 0 ? 'disabled' : 'enabled',
    conditions: {
      users:
        p % 4 === 0
          ? { includeUsers: ['All'], excludeGroups: [groups[p % GROUPS]?.id], excludeUsers: [users[p]?.id] }
          : {
              includeRoles: roles.slice(p % ROLES, (p % ROLES) + 5),
              excludeGroups: [groups[(p + 7) % GROUPS]?.id],
            },
      applications: { includeApplications: p % 3 === 0 ? ['All'] : ['797f4846-ba00-4fd7-ba43-dac1f8f63013'] },
    },
    grantControls: {
      operator: p % 5 === 0 ? 'AND' : 'OR',
      builtInControls: p % 7 === 0 ? ['mfa', 'compliantDevice'] : ['mfa'],
    },
    sessionControls:
      p % 2 === 0
        ? {
            signInFrequency: {
              isEnabled: true,
              value: (p % 24) + 1,
              type: p % 6 === 0 ? 'days' : 'hours',
              frequencyInterval: 'timeBased',
            },
            persistentBrowser: { isEnabled: true, mode: p % 8 === 0 ? 'always' : 'never' },
          }
        : null,
  }));
  const day = 86_400_000;
  const accessReviews = Array.from({ length: REVIEWS }, (_, r) => ({
    id: `review-${r}`,
    displayName: `review ${r}`,
    scope: { resourceScopes: [{ query: `/roleManagement/directory/roleDefinitions/${roles[r % ROLES]}` }] },
    settings: { recurrence: { pattern: { type: 'absoluteMonthly', interval: r % 5 === 0 ? 12 : 3 } } },
    instances: [
      {
        id: `review-${r}-1`,
        status: 'Completed',
        endDateTime: new Date(now.getTime() - (r % 4) * 40 * day).toISOString(),
      },
    ],
  }));
  return {
    users,
    groups,
    roleDefinitions: roles.map((id, i) => ({ id, displayName: `role ${i}`, templateId: id })),
    roleAssignments,
    roleEligibilitySchedules,
    conditionalAccessPolicies,
    accessReviews,
  };
}

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `min ${sorted[0]?.toFixed(1)} ms, median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms`;
}

export async function run(): Promise<void> {
  const now = new Date('2026-12-01T04:00:00Z');
  const sandbox = await startSandbox({ scenario: { resources: [], directory: directory(now) } });
  try {
    const reads: number[] = [];
    let requests = 0;
    let snapshot = null as Awaited<ReturnType<typeof readTenantSnapshot>> | null;
    for (let i = 0; i < 3; i++) {
      const graph = new GraphClient({
        credential: sandbox.credential(),
        endpoint: sandbox.graphUrl,
        agent: sandbox.clientOptions().agent,
      });
      sandbox.resetStats();
      const started = performance.now();
      snapshot = await readTenantSnapshot(graph, { now });
      reads.push(performance.now() - started);
      requests = graph.requests;
    }
    if (!snapshot) throw new Error('no snapshot');
    const perUser = sandbox.requestLog().filter((entry) => /\/users\//i.test(entry.path)).length;
    const settings: IdentitySettings = {
      privilegedRoleIds: snapshot.roleDefinitions.map((role) => role.id),
      sessionMaxHours: 12,
      sessionApps: [{ name: 'Patient portal', appId: '797f4846-ba00-4fd7-ba43-dac1f8f63013' }],
      accessReviewMaxAgeDays: 92,
      accessReviewMaxIntervalMonths: 3,
    };
    const samples: number[] = [];
    let findings = 0;
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      findings = evaluateTenant(snapshot, { settings, now }).length;
      samples.push(performance.now() - started);
    }
    const members = Object.values(snapshot.groupMembers).reduce((sum, list) => sum + list.length, 0);
    console.log(
      `tenant: ${USERS} users, ${snapshot.conditionalAccessPolicies.length} policies, ${snapshot.roleDefinitions.length} roles, ` +
        `${snapshot.roleAssignments.length} assignments, ${Object.keys(snapshot.groupMembers).length} groups (${members} memberships), ${snapshot.accessReviews.length} reviews`,
    );
    console.log(`evaluate (4 controls, ${findings} findings): ${stats(samples)}`);
    console.log(
      `Graph read through the sandbox: ${requests} HTTP requests per run (${perUser} per-user calls), ${stats(reads)}`,
    );
  } finally {
    await sandbox.stop();
  }
}
