import { PolicyInsightsClient, type PolicyState } from '@azure/arm-policyinsights';
import type { ArmConnection } from '../azure/clients.js';

/**
 * Reads Azure Policy compliance states (`policyStates/latest`) through @azure/arm-policyinsights:
 * per subscription, one filtered query for the definitions our controls map to (paged by the SDK,
 * `@odata.nextLink`) and one `$top=1` probe for the SOC 2 Type 2 initiative's assignment. Read only. Needs
 * Microsoft.PolicyInsights/policyStates/queryResults/action (the app's custom role).
 */

/** One state, reduced to what the cross-check reads (GUIDs lower-cased). */
export interface PolicyStateRow {
  subscriptionId: string;
  resourceId: string;
  /** ARM type as Azure Policy reports it, e.g. Microsoft.Storage/storageAccounts */
  resourceType: string;
  /** the built-in definition's GUID (last segment of policyDefinitionId) */
  policyDefinitionName: string;
  /** the initiative's GUID when assigned through one, else null */
  policySetDefinitionName: string | null;
  policyAssignmentId: string;
  /** Compliant | NonCompliant | Exempt | Unknown ... as Azure reports it */
  complianceState: string;
  timestamp: string | null;
}

export interface PolicyStatesReader {
  read(
    subscriptionId: string,
    definitionIds: readonly string[],
    initiativeId: string | null,
  ): Promise<PolicyStateRow[]>;
}

const lastSegment = (id: string | undefined) => (id ? id.slice(id.lastIndexOf('/') + 1).toLowerCase() : '');

/** `$filter` naming the definitions and the initiative (Policy Insights matches names case-insensitively). */
export function policyStatesFilter(definitionIds: readonly string[], initiativeId: string | null): string {
  const clauses = [...new Set(definitionIds.map((id) => id.toLowerCase()))].map(
    (id) => `policyDefinitionName eq '${id}'`,
  );
  if (initiativeId) clauses.push(`policySetDefinitionName eq '${initiativeId.toLowerCase()}'`);
  return clauses.join(' or ');
}

function toRow(state: PolicyState, subscriptionId: string): PolicyStateRow {
  return {
    subscriptionId: (state.subscriptionId ?? subscriptionId).toLowerCase(),
    resourceId: state.resourceId ?? '',
    resourceType: state.resourceType ?? '',
    policyDefinitionName: state.policyDefinitionName?.toLowerCase() ?? lastSegment(state.policyDefinitionId),
    policySetDefinitionName: state.policySetDefinitionName
      ? state.policySetDefinitionName.toLowerCase()
      : null,
    policyAssignmentId: state.policyAssignmentId ?? '',
    complianceState: state.complianceState ?? (state.isCompliant === true ? 'Compliant' : 'Unknown'),
    timestamp: state.timestamp ? state.timestamp.toISOString() : null,
  };
}

export class ArmPolicyStatesReader implements PolicyStatesReader {
  private readonly clients = new Map<string, PolicyInsightsClient>();

  constructor(private readonly connection: ArmConnection) {}

  private client(subscriptionId: string): PolicyInsightsClient {
    let client = this.clients.get(subscriptionId.toLowerCase());
    if (!client) {
      client = new PolicyInsightsClient(this.connection.credential, subscriptionId, {
        ...this.connection.clientOptions,
        endpoint: this.connection.endpoint,
      });
      this.clients.set(subscriptionId.toLowerCase(), client);
    }
    return client;
  }

  async read(
    subscriptionId: string,
    definitionIds: readonly string[],
    initiativeId: string | null,
  ): Promise<PolicyStateRow[]> {
    const client = this.client(subscriptionId);
    const rows: PolicyStateRow[] = [];
    const filter = policyStatesFilter(definitionIds, null);
    if (filter !== '') {
      const states = client.policyStates.listQueryResultsForSubscription('latest', subscriptionId, {
        queryOptions: { filter },
      });
      for await (const state of states) rows.push(toRow(state, subscriptionId));
    }
    if (initiativeId) {
      // Whether the initiative is assigned: one state of it is enough (it may hold thousands).
      const pages = client.policyStates
        .listQueryResultsForSubscription('latest', subscriptionId, {
          queryOptions: { filter: policyStatesFilter([], initiativeId), top: 1 },
        })
        .byPage();
      const first = await pages.next();
      for (const state of first.done ? [] : first.value) rows.push(toRow(state, subscriptionId));
    }
    return rows;
  }
}
