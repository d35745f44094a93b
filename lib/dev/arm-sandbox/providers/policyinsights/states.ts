/**
 * Azure Policy compliance states (Microsoft.PolicyInsights `policyStates/latest`): seeded, never
 * computed. A state exists only where a policy (or an initiative containing it) is assigned, so a
 * subscription without states for a definition is a subscription without the assignment.
 */

export interface PolicyStateSpec {
  resourceId: string;
  /** GUID of a built-in, or a full definition id */
  policyDefinitionId: string;
  complianceState: 'Compliant' | 'NonCompliant' | 'Exempt' | 'Unknown' | string;
  policyAssignmentId?: string;
  /** set when assigned through an initiative (e.g. SOC 2 Type 2): GUID or full id */
  policySetDefinitionId?: string;
  timestamp?: string;
}

const definitionId = (id: string) =>
  id.startsWith('/') ? id : `/providers/Microsoft.Authorization/policyDefinitions/${id}`;
const setDefinitionId = (id: string) =>
  id.startsWith('/') ? id : `/providers/Microsoft.Authorization/policySetDefinitions/${id}`;
const lastSegment = (id: string) => id.slice(id.lastIndexOf('/') + 1);

/** The PolicyState JSON the query API returns. */
export function policyStateJson(spec: PolicyStateSpec): Record<string, unknown> {
  const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(spec.resourceId)?.[1] ?? '';
  const definition = definitionId(spec.policyDefinitionId);
  const assignment =
    spec.policyAssignmentId ??
    `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/policyAssignments/${spec.policySetDefinitionId ? 'soc2' : lastSegment(definition)}`;
  const typeMatch = /\/providers\/([^/]+\/[^/]+)\/[^/]+$/i.exec(spec.resourceId);
  return {
    '@odata.id': null,
    '@odata.context':
      'https://management.azure.com/providers/Microsoft.PolicyInsights/policyStates/$metadata#latest/$entity',
    timestamp: spec.timestamp ?? '2026-11-30T00:00:00Z',
    resourceId: spec.resourceId,
    resourceType: typeMatch?.[1] ?? 'Microsoft.Resources/subscriptions',
    subscriptionId,
    policyAssignmentId: assignment,
    policyAssignmentName: lastSegment(assignment),
    policyDefinitionId: definition,
    policyDefinitionName: lastSegment(definition),
    policySetDefinitionId: spec.policySetDefinitionId ? setDefinitionId(spec.policySetDefinitionId) : '',
    policySetDefinitionName: spec.policySetDefinitionId ? lastSegment(spec.policySetDefinitionId) : '',
    complianceState: spec.complianceState,
    isCompliant: spec.complianceState === 'Compliant',
  };
}

export class PolicyStateStore {
  private states: PolicyStateSpec[] = [];

  seed(states: readonly PolicyStateSpec[]): void {
    this.states.push(...structuredClone([...states]));
  }

  clear(): void {
    this.states = [];
  }

  forSubscription(subscriptionId: string): Record<string, unknown>[] {
    const prefix = `/subscriptions/${subscriptionId.toLowerCase()}`;
    return this.states
      .filter(
        (state) =>
          state.resourceId.toLowerCase() === prefix ||
          state.resourceId.toLowerCase().startsWith(`${prefix}/`),
      )
      .map(policyStateJson);
  }
}
