// Optional Event Grid custom topic for driftwarden's notifications (remediations, failures,
// expiring exceptions). Entra ID only: the app identity holds EventGrid Data Sender on this topic.
// Subscribe your own handlers (Logic App, Teams, e-mail, SIEM) to it.
param name string
param location string
param tags { *: string }

@allowed([
  'CloudEventSchemaV1_0' // the app publishes CloudEvents 1.0 (lib/notify/eventgrid.ts)
])
param inputSchema string = 'CloudEventSchemaV1_0'

@description('Principal id of the Function App managed identity.')
param senderPrincipalId string

// Built-in role: EventGrid Data Sender
var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: inputSchema
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, senderPrincipalId, eventGridDataSender)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
    principalId: senderPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output id string = topic.id
output endpoint string = topic.properties.endpoint
