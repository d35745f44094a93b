// The subscription's Azure Resource Manager event source. Azure allows one
// Microsoft.Resources.Subscriptions system topic per subscription (see infra/README.md).
// System-assigned identity: used to write dead-lettered events to the app's storage.
param name string
param tags { *: string }

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: 'global'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

output name string = topic.name
output principalId string = topic.identity.principalId
