// Evidence storage: one StorageV2 account, Entra ID only (no shared keys, no anonymous access).
// Tables: evidence, exceptions, remediation intents. Queue: sweep fan-out (+ poison).
// Containers: reports (time-based immutability), Event Grid dead letters, Flex deployment package.
// The Function App identity gets data-plane roles scoped to this account only.
param name string
param location string
param tags { *: string }
param skuName string

@description('Names shared with the app settings (see main.bicep `names`).')
param names {
  evidenceTable: string
  exceptionsTable: string
  intentsTable: string
  sweepQueue: string
  reportsContainer: string
  deadLetterContainer: string
  deploymentContainer: string
}

@description('Retention of the reports container immutability policy (days).')
@minValue(365)
param reportsRetentionDays int

@description('True once the reports policy has been locked: Bicep then leaves it alone (a locked policy can only be extended with `az storage container immutability-policy extend`).')
param reportsImmutabilityLocked bool = false

@description('Principal id of the Function App managed identity.')
param appPrincipalId string

@description('Log Analytics workspace for diagnostic settings.')
param workspaceId string

// Built-in data-plane roles (least privilege for what the app and the Functions host do).
var roles = {
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // evidence, exceptions, intents
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // sweep fan-out, queue trigger
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Functions host (AzureWebJobsStorage, Flex package), reports
}

resource account 'Microsoft.Storage/storageAccounts@2026-09-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        file: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

// ------------------------------------------------------------------------------------- blobs

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2026-09-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 30
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 30
    }
  }
}

resource reportsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-09-01' = {
  parent: blobService
  name: names.reportsContainer
  properties: {
    publicAccess: 'None'
  }
}

// WORM retention for monthly reports. Created unlocked; lock it once reviewed (see infra/README.md):
// a locked policy can only be extended, never shortened or removed.
resource reportsImmutability 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2026-09-01' = if (!reportsImmutabilityLocked) {
  parent: reportsContainer
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: reportsRetentionDays
    allowProtectedAppendWrites: false
  }
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-09-01' = {
  parent: blobService
  name: names.deadLetterContainer
  properties: {
    publicAccess: 'None'
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-09-01' = {
  parent: blobService
  name: names.deploymentContainer
  properties: {
    publicAccess: 'None'
  }
}

// ------------------------------------------------------------------------------------ tables

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2026-09-01' = {
  parent: account
  name: 'default'
}

var tableNames = [
  names.evidenceTable
  names.exceptionsTable
  names.intentsTable
]

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2026-09-01' = [
  for tableName in tableNames: {
    parent: tableService
    name: tableName
  }
]

// ------------------------------------------------------------------------------------ queues

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2026-09-01' = {
  parent: account
  name: 'default'
}

var queueNames = [
  names.sweepQueue
  '${names.sweepQueue}-poison' // the Functions host moves failed messages here after maxDequeueCount
]

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2026-09-01' = [
  for queueName in queueNames: {
    parent: queueService
    name: queueName
  }
]

// ------------------------------------------------------------------------- role assignments

var appRoleIds = [
  roles.tableDataContributor
  roles.queueDataContributor
  roles.blobDataOwner
]

resource appRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in appRoleIds: {
    name: guid(account.id, appPrincipalId, roleId)
    scope: account
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

// ---------------------------------------------------------------------- diagnostic settings

// 2021-05-01-preview is the newest diagnosticSettings API and the only one with categoryGroup; the
// linter's GA suggestion (2016-09-01) is the legacy per-service setting (name 'service', no categoryGroup).
#disable-next-line use-recent-api-versions
resource accountDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account
  properties: {
    workspaceId: workspaceId
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

#disable-next-line use-recent-api-versions // newest diagnosticSettings API (see accountDiagnostics)
resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobService
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

#disable-next-line use-recent-api-versions // newest diagnosticSettings API (see accountDiagnostics)
resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: tableService
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

#disable-next-line use-recent-api-versions // newest diagnosticSettings API (see accountDiagnostics)
resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: queueService
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

output id string = account.id
output name string = account.name
output blobServiceUri string = account.properties.primaryEndpoints.blob
output tableServiceUri string = account.properties.primaryEndpoints.table
output queueServiceUri string = account.properties.primaryEndpoints.queue
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
