// driftwarden — Azure deployment (subscription scope).
//
// Creates the app resource group (Function App on Flex Consumption, storage, monitoring, optional
// notification topic) and, in every monitored subscription, a custom role with exactly the ARM
// actions driftwarden performs plus an Event Grid system topic that delivers resource-write events
// to the `onResourceChange` function.
//
// test/unit/infra/ compiles this folder with the Bicep CLI (zero errors and warnings, lint clean
// under bicepconfig.json) and cross-checks the compiled ARM template against the code (app
// settings, event filter, role actions, function name, resource names, hardening).
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

@description('Region for the app resources (must offer Flex Consumption: `az functionapp list-flexconsumption-locations`).')
param location string = deployment().location

@description('Short lowercase prefix used in resource names (letters and digits).')
@minLength(2)
@maxLength(8)
param namePrefix string = 'dw'

@description('Resource group for the Function App, storage and monitoring (created if missing).')
param resourceGroupName string = 'rg-driftwarden'

@description('Resource group created in each monitored subscription for its Event Grid system topic.')
param eventsResourceGroupName string = 'rg-driftwarden-events'

@description('Subscriptions driftwarden watches, sweeps and remediates. May include this deployment\'s own subscription.')
@minLength(1)
param monitoredSubscriptionIds string[]

@description('Create the Event Grid event subscriptions. Needs the function code deployed first (Event Grid validates the AzureFunction endpoint), so deploy with false, zip-deploy the app, then redeploy with true.')
param subscribeToEvents bool = true

@description('Client (application) id of the Entra ID app registration that protects the HTTP API (created outside Bicep; see infra/README.md).')
param authClientId string

@description('Optional: name of an app setting that holds the app registration\'s client secret (enables the browser sign-in code flow). Empty: bearer tokens / ID-token flow only.')
// The NAME of the app setting that holds the secret, not the secret itself (the linter goes by the name).
#disable-next-line secure-secrets-in-params
param authClientSecretSettingName string = ''

@description('What App Service Authentication does with unauthenticated requests to protected paths.')
@allowed([
  'RedirectToLoginPage'
  'Return401'
  'Return403'
])
param unauthenticatedClientAction string = 'Return401'

@description('Retention (days) of the time-based immutability policy on the reports container. SOC 2 Type II needs at least a year of evidence.')
@minValue(365)
@maxValue(146000)
param reportsRetentionDays int = 400

@description('Set to true after locking the reports immutability policy, so redeployments leave the locked policy alone.')
param reportsImmutabilityLocked bool = false

@description('Retention (days) of the evidence digest container WORM policy (modules/evidence-anchor.bicep).')
@minValue(365)
@maxValue(146000)
param digestRetentionDays int = 400

@description('Lock the digest WORM policy. IRREVERSIBLE: a locked policy can only be extended, and the container and storage account cannot be deleted while a digest is retained. Default true (production); set false only for a throwaway test deployment.')
param lockDigestImmutability bool = true

@description('Set to true on redeployments once the digest policy is locked, so Bicep leaves it alone.')
param digestImmutabilityLocked bool = false

@description('Seconds between signed evidence digests (DW_DIGEST_INTERVAL).')
@minValue(5)
@maxValue(86400)
param digestIntervalSeconds int = 300

@description('Log Analytics retention in days: of the app own workspace, and the minimum LAW-RETENTION requires of audited workspaces (DW_LOG_RETENTION_DAYS)')
@minValue(365)
@maxValue(730)
param logRetentionDays int = 365

@description('Storage redundancy for the evidence account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_ZRS'

@description('Flex Consumption instance memory (MB).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Flex Consumption maximum instance count.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Create an Event Grid custom topic for notifications (sets DW_NOTIFY_TOPIC_ENDPOINT).')
param enableNotifications bool = false

@description('Event schema of the notification topic (must match what the app publishes).')
@allowed([
  'CloudEventSchemaV1_0' // the app publishes CloudEvents 1.0 (lib/notify/eventgrid.ts)
])
param notificationSchema string = 'CloudEventSchemaV1_0'

@description('NCRONTAB schedule of the monthly validation sweep (DW_SWEEP_SCHEDULE).')
param sweepSchedule string = '0 0 3 1 * *'

@description('NCRONTAB schedule of the daily identity validation (DW_IDENTITY_SCHEDULE).')
param identitySchedule string = '0 0 4 * * *'

@description('Identity validation over Microsoft Graph (DW_IDENTITY_ENABLED). Grant the Graph permissions first: infra/grant-graph-permissions.sh.')
param identityEnabled bool = true

@description('Microsoft Graph endpoint (DW_GRAPH_ENDPOINT); national clouds differ.')
param graphEndpoint string = 'https://graph.microsoft.com'

@description('Comma-separated privileged directory role template ids (DW_IDENTITY_PRIVILEGED_ROLES). Empty: Microsoft\'s admin role list.')
param privilegedRoles string = ''

@description('Highest sign-in frequency for admins and the session apps, in hours (DW_IDENTITY_SESSION_MAX_HOURS). Empty: 12.')
param sessionMaxHours string = ''

@description('Apps whose sessions must time out, "Patient portal=<appId>,Scheduling=<appId>" (DW_IDENTITY_SESSION_APPS).')
param sessionApps string = ''

@description('An access review of a privileged role must have completed within this many days (DW_IDENTITY_REVIEW_MAX_AGE_DAYS). Empty: 92.')
param accessReviewMaxAgeDays string = ''

@description('Azure Policy SOC 2 Type 2 regulatory compliance initiative id (DW_POLICY_SOC2_INITIATIVE_ID).')
param soc2InitiativeId string = '4054785f-702b-4a98-9215-009cbd58b141'

@description('Global switch: record findings, remediate nothing (DW_AUDIT_ONLY). Recommended for the first weeks.')
param auditOnly bool = false

@description('Per-control mode overrides, e.g. "STG-CMK-PHI=remediate,NSG-OPEN-INBOUND=audit" (DW_CONTROL_MODES). Empty: catalog defaults.')
param controlModes string = ''

@description('Tag that marks PHI storage accounts (DW_PHI_TAG_NAME). Empty: built-in default.')
param phiTagName string = ''

@description('Comma-separated tag values that mean PHI (DW_PHI_TAG_VALUES). Empty: built-in default.')
param phiTagValues string = ''

@description('Tag name marking the audit workspaces LAW-RETENTION judges: <name>=true (DW_AUDIT_WORKSPACE_TAG). Empty with auditWorkspaceIds empty: every workspace.')
param auditWorkspaceTag string = ''

@description('Comma-separated ids of the audit workspaces LAW-RETENTION judges (DW_AUDIT_WORKSPACE_IDS). Empty with auditWorkspaceTag empty: every workspace.')
param auditWorkspaceIds string = ''

@description('Workspace DIAG-RESOURCE-LOGS remediate mode sends created diagnostic settings to (DW_DIAG_WORKSPACE_ID). Required for DIAG-RESOURCE-LOGS=remediate; must be in a monitored subscription (the role grants its sharedKeys/action there).')
param diagnosticWorkspaceId string = ''

@description('Comma-separated management/database ports, ranges allowed (DW_MANAGEMENT_PORTS). Empty: built-in list.')
param managementPorts string = ''

@description('Public prefixes wider than this length count as internet (DW_INTERNET_PREFIX_MAX_LENGTH). Empty: built-in default (/16).')
param internetPrefixMaxLength string = ''

@description('Longest allowed exception, in days (DW_EXCEPTION_MAX_DAYS).')
@minValue(1)
@maxValue(365)
param exceptionMaxDays int = 90

@description('Tags applied to every resource.')
param tags { *: string } = {
  application: 'driftwarden'
  purpose: 'soc2-drift-remediation'
}

// ---------------------------------------------------------------------------------------------
// Names shared by storage and app settings. The test checks these equal the defaults in
// lib/config.ts (evidenceTable, exceptionsTable, sweepQueue, reportsContainer).
// ---------------------------------------------------------------------------------------------

var names = {
  evidenceTable: 'driftwardenEvidence'
  exceptionsTable: 'driftwardenExceptions'
  intentsTable: 'driftwardenIntents'
  sweepQueue: 'driftwarden-sweep'
  reportsContainer: 'driftwarden-reports'
  deadLetterContainer: 'driftwarden-deadletter'
  deploymentContainer: 'app-package'
}

// Digest container (DW_DIGEST_CONTAINER default in lib/config.ts).
var digestContainerName = 'driftwarden-digests'

// The Event Grid-triggered function the system topics deliver to (must be registered in functions/).
var eventFunctionName = 'onResourceChange'

var prefix = toLower(namePrefix)
var suffix = uniqueString(subscription().id, resourceGroupName)

// ---------------------------------------------------------------------------------------------
// App resource group
// ---------------------------------------------------------------------------------------------

resource appRg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'dw-identity'
  scope: appRg
  params: {
    name: 'id-${prefix}-${suffix}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'dw-monitoring'
  scope: appRg
  params: {
    workspaceName: 'log-${prefix}-${suffix}'
    appInsightsName: 'appi-${prefix}-${suffix}'
    location: location
    tags: tags
    retentionInDays: logRetentionDays
    publisherPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'dw-storage'
  scope: appRg
  params: {
    name: take('st${prefix}${suffix}', 24)
    location: location
    tags: tags
    skuName: storageSku
    names: names
    reportsRetentionDays: reportsRetentionDays
    reportsImmutabilityLocked: reportsImmutabilityLocked
    appPrincipalId: identity.outputs.principalId
    workspaceId: monitoring.outputs.workspaceId
  }
}

// Signed digests: Key Vault (HSM key, sign-only role) and the WORM digest container.
module evidenceAnchor 'modules/evidence-anchor.bicep' = {
  name: 'dw-evidence-anchor'
  scope: appRg
  params: {
    location: location
    tags: tags
    vaultName: take('kv-${prefix}-${suffix}', 24)
    storageAccountName: storage.outputs.name
    digestContainerName: digestContainerName
    digestRetentionDays: digestRetentionDays
    lockDigestImmutability: lockDigestImmutability
    digestImmutabilityLocked: digestImmutabilityLocked
    appPrincipalId: identity.outputs.principalId
    workspaceId: monitoring.outputs.workspaceId
  }
}

module notifications 'modules/notifications.bicep' = if (enableNotifications) {
  name: 'dw-notifications'
  scope: appRg
  params: {
    name: 'evgt-${prefix}-${suffix}'
    location: location
    tags: tags
    inputSchema: notificationSchema
    senderPrincipalId: identity.outputs.principalId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'dw-functionapp'
  scope: appRg
  params: {
    planName: 'asp-${prefix}-${suffix}'
    appName: 'func-${prefix}-${suffix}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    identityPrincipalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    blobServiceUri: storage.outputs.blobServiceUri
    tableServiceUri: storage.outputs.tableServiceUri
    queueServiceUri: storage.outputs.queueServiceUri
    names: names
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    workspaceId: monitoring.outputs.workspaceId
    monitoredSubscriptionIds: monitoredSubscriptionIds
    notifyTopicEndpoint: enableNotifications ? notifications!.outputs.endpoint : ''
    sweepSchedule: sweepSchedule
    identitySchedule: identitySchedule
    identityEnabled: identityEnabled
    graphEndpoint: graphEndpoint
    privilegedRoles: privilegedRoles
    sessionMaxHours: sessionMaxHours
    sessionApps: sessionApps
    accessReviewMaxAgeDays: accessReviewMaxAgeDays
    soc2InitiativeId: soc2InitiativeId
    auditOnly: auditOnly
    controlModes: controlModes
    phiTagName: phiTagName
    phiTagValues: phiTagValues
    managementPorts: managementPorts
    internetPrefixMaxLength: internetPrefixMaxLength
    auditWorkspaceTag: auditWorkspaceTag
    auditWorkspaceIds: auditWorkspaceIds
    diagnosticWorkspaceId: diagnosticWorkspaceId
    // the minimum LAW-RETENTION requires of audited workspaces is the app's own workspace retention
    logRetentionDays: string(logRetentionDays)
    exceptionMaxDays: exceptionMaxDays
    signingKeyId: evidenceAnchor.outputs.signingKeyId
    digestContainer: evidenceAnchor.outputs.digestContainerName
    digestIntervalSeconds: digestIntervalSeconds
    authClientId: authClientId
    authClientSecretSettingName: authClientSecretSettingName
    unauthenticatedClientAction: unauthenticatedClientAction
  }
  // Implicitly after `storage` (its outputs are used), so the host's storage roles exist before it starts.
}

// ---------------------------------------------------------------------------------------------
// Per monitored subscription: custom role + assignment, events resource group, system topic.
// ---------------------------------------------------------------------------------------------

module monitored 'modules/monitored-subscription.bicep' = [
  for subscriptionId in monitoredSubscriptionIds: {
    name: 'dw-monitored-${take(uniqueString(subscriptionId), 8)}'
    scope: subscription(subscriptionId)
    params: {
      location: location
      tags: tags
      eventsResourceGroupName: eventsResourceGroupName
      principalId: identity.outputs.principalId
    }
  }
]

// The system topic's identity writes undeliverable events to the dead-letter container.
module deadLetterAccess 'modules/deadletter-access.bicep' = [
  for (subscriptionId, i) in monitoredSubscriptionIds: {
    name: 'dw-deadletter-${take(uniqueString(subscriptionId), 8)}'
    scope: appRg
    params: {
      storageAccountName: storage.outputs.name
      containerName: names.deadLetterContainer
      principalId: monitored[i].outputs.systemTopicPrincipalId
    }
  }
]

module eventSubscriptions 'modules/event-subscription.bicep' = [
  for (subscriptionId, i) in monitoredSubscriptionIds: if (subscribeToEvents) {
    name: 'dw-events-${take(uniqueString(subscriptionId), 8)}'
    scope: resourceGroup(subscriptionId, eventsResourceGroupName)
    params: {
      systemTopicName: monitored[i].outputs.systemTopicName
      functionAppSubscriptionId: subscription().subscriptionId
      functionAppResourceGroupName: appRg.name
      functionAppName: functionApp.outputs.name
      functionName: eventFunctionName
      deadLetterStorageAccountId: storage.outputs.id
      deadLetterContainerName: names.deadLetterContainer
    }
    dependsOn: [
      deadLetterAccess
    ]
  }
]

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

output resourceGroupName string = appRg.name
output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output identityPrincipalId string = identity.outputs.principalId
output identityClientId string = identity.outputs.clientId
output storageAccountName string = storage.outputs.name
output signingKeyId string = evidenceAnchor.outputs.signingKeyId
output notifyTopicEndpoint string = enableNotifications ? notifications!.outputs.endpoint : ''
output customRoleDefinitionIds string[] = [for i in range(0, length(monitoredSubscriptionIds)): monitored[i].outputs.roleDefinitionId]
