// User-assigned managed identity of the Function App: host storage, evidence storage, ARM reads and
// writes in the monitored subscriptions (custom role), Application Insights, notifications.
param name string
param location string
param tags { *: string }

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
