// Delivers a monitored subscription's resource write and delete events to the Event Grid-triggered function.
// The event is a hint (the function re-reads the resource), so one event per invocation, retried
// for 24 h, then dead-lettered for review. Filter lists must equal lib/azure/operations.ts
// HANDLED_EVENT_TYPES / HANDLED_OPERATIONS (test/unit/infra checks it).
param systemTopicName string

@description('Subscription, resource group and name of the Function App (the app subscription).')
param functionAppSubscriptionId string
param functionAppResourceGroupName string
param functionAppName string

@description('Name of the Event Grid-triggered function.')
param functionName string

param deadLetterStorageAccountId string
param deadLetterContainerName string

var handledEventTypes = [
  'Microsoft.Resources.ResourceWriteSuccess'
  'Microsoft.Resources.ResourceDeleteSuccess'
]

// writes (drift) and deletes (recorded as resource-gone)
var handledOperations = [
  'Microsoft.Storage/storageAccounts/write'
  'Microsoft.Storage/storageAccounts/delete'
  'Microsoft.Storage/storageAccounts/blobServices/containers/write'
  'Microsoft.Storage/storageAccounts/blobServices/containers/delete'
  'Microsoft.Network/networkSecurityGroups/write'
  'Microsoft.Network/networkSecurityGroups/delete'
  'Microsoft.Network/networkSecurityGroups/securityRules/write'
  'Microsoft.Network/networkSecurityGroups/securityRules/delete'
  'Microsoft.OperationalInsights/workspaces/write'
  'Microsoft.OperationalInsights/workspaces/delete'
  'Microsoft.OperationalInsights/workspaces/tables/write'
  'Microsoft.OperationalInsights/workspaces/tables/delete'
  'Microsoft.KeyVault/vaults/write'
  'Microsoft.KeyVault/vaults/delete'
  'Microsoft.KeyVault/vaults/keys/write'
  'Microsoft.Insights/diagnosticSettings/write'
  'Microsoft.Insights/diagnosticSettings/delete'
]

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

// The destination function lives in the app subscription, not in this (monitored) one.
resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
  scope: resourceGroup(functionAppSubscriptionId, functionAppResourceGroupName)
}

resource targetFunction 'Microsoft.Web/sites/functions@2025-03-01' existing = {
  parent: functionApp
  name: functionName
}

resource toFunction 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'driftwarden-${functionName}'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: targetFunction.id
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: handledEventTypes
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: handledOperations
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output name string = toFunction.name
