// One monitored subscription: the custom role driftwarden's identity holds there (exactly the ARM
// actions in lib/azure/operations.ts ARM_ACTIONS), its assignment, and the resource group with the
// subscription's Event Grid system topic. The event subscription itself is event-subscription.bicep
// (created after the topic's identity may write dead letters).
targetScope = 'subscription'

param location string
param tags { *: string }
param eventsResourceGroupName string

@description('Principal id of the Function App managed identity.')
param principalId string

// Least privilege: reads for evaluation and the sweep's enumeration, writes to revert and restore.
// Must equal ARM_ACTIONS (test/unit/infra checks it). No wildcard, no data actions; the one delete
// is of driftwarden's own diagnostic setting (restore); the actions are the Policy Insights query
// (read-only, POST by API design) and the workspace sharedKeys check ARM makes when a diagnostic
// setting names a workspace as its destination.
var armActions = [
  'Microsoft.Storage/storageAccounts/read'
  'Microsoft.Storage/storageAccounts/write'
  'Microsoft.Storage/storageAccounts/blobServices/containers/read'
  'Microsoft.Storage/storageAccounts/blobServices/containers/write'
  'Microsoft.Network/networkSecurityGroups/read'
  'Microsoft.Network/networkSecurityGroups/securityRules/read'
  'Microsoft.Network/networkSecurityGroups/securityRules/write'
  'Microsoft.OperationalInsights/workspaces/read'
  'Microsoft.OperationalInsights/workspaces/write'
  'Microsoft.OperationalInsights/workspaces/tables/read'
  // ARM's linked access check on a diagnostic setting's destination workspace (DIAG-RESOURCE-LOGS remediate)
  'Microsoft.OperationalInsights/workspaces/sharedKeys/action'
  'Microsoft.KeyVault/vaults/read'
  'Microsoft.KeyVault/vaults/keys/read'
  'Microsoft.Insights/diagnosticSettings/read'
  // DIAG-RESOURCE-LOGS remediate mode creates driftwarden-soc2; a restore deletes it again
  'Microsoft.Insights/diagnosticSettings/write'
  'Microsoft.Insights/diagnosticSettings/delete'
  // Azure Policy cross-check: read compliance states (the query is a POST; its nextLink pages a GET)
  'Microsoft.PolicyInsights/policyStates/queryResults/action'
  'Microsoft.PolicyInsights/policyStates/queryResults/read'
]

resource remediatorRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'driftwarden-remediator')
  properties: {
    // role names are unique per tenant, hence the subscription id
    roleName: 'driftwarden remediator (${subscription().subscriptionId})'
    description: 'Read storage accounts, blob containers and NSGs; revert public access, TLS/HTTPS settings and open security rules. Used by the driftwarden Function App identity.'
    type: 'CustomRole'
    assignableScopes: [
      subscription().id
    ]
    permissions: [
      {
        actions: armActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource remediatorAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, remediatorRole.id)
  properties: {
    roleDefinitionId: remediatorRole.id
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'driftwarden: evaluate and remediate storage and NSG drift'
  }
}

resource eventsRg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: eventsResourceGroupName
  location: location
  tags: tags
}

module systemTopic 'system-topic.bicep' = {
  name: 'dw-system-topic'
  scope: eventsRg
  params: {
    name: 'evgst-driftwarden-${subscription().subscriptionId}'
    tags: tags
  }
}

output roleDefinitionId string = remediatorRole.id
output systemTopicName string = systemTopic.outputs.name
output systemTopicPrincipalId string = systemTopic.outputs.principalId
