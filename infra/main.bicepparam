// Example parameters. Copy, adjust, then:
//   az deployment sub create --location <region> --template-file infra/main.bicep --parameters infra/main.bicepparam
using './main.bicep'

param location = 'eastus2'
param namePrefix = 'dw'
param resourceGroupName = 'rg-driftwarden'
param eventsResourceGroupName = 'rg-driftwarden-events'

// Subscriptions to watch and remediate (the patient portal, telehealth and scheduling estates).
param monitoredSubscriptionIds = [
  '00000000-0000-0000-0000-000000000001'
  '00000000-0000-0000-0000-000000000002'
]

// First deployment: false (the function code is not there yet, and Event Grid validates the
// AzureFunction endpoint). After `az functionapp deploy`, redeploy with true.
param subscribeToEvents = false

// Entra ID app registration protecting the HTTP API (see infra/README.md, "App registration").
param authClientId = '11111111-1111-1111-1111-111111111111'
param unauthenticatedClientAction = 'RedirectToLoginPage'

// SOC 2 Type II: at least 12 months of evidence. 400 days covers a 12-month window plus reporting lag.
param reportsRetentionDays = 400
param reportsImmutabilityLocked = false
param logRetentionDays = 365
param storageSku = 'Standard_ZRS'

param instanceMemoryMB = 2048
param maximumInstanceCount = 40

param enableNotifications = true

// Start in audit-only mode for a couple of weeks, review the findings, then switch to false.
param auditOnly = true
param sweepSchedule = '0 0 3 1 * *'
param controlModes = ''
param phiTagName = 'data-classification'
param phiTagValues = 'phi,ephi'
param managementPorts = ''
param internetPrefixMaxLength = ''
param exceptionMaxDays = 90
