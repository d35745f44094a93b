// Function App on Flex Consumption (Linux, Node 22 LTS: Node 20 left support in April 2026; the bundle targets node20, so it runs on both) running as the user-assigned identity.
// App settings are named exactly as lib/config.ts reads them (checked by test/unit/infra).
// No FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION: Flex takes the runtime from
// functionAppConfig and rejects those settings. No shared keys: every storage connection is
// identity-based (`<prefix>__credential: managedidentity` + `__clientId`).
param planName string
param appName string
param location string
param tags { *: string }

param identityId string
param identityClientId string
param identityPrincipalId string

param storageAccountName string
param blobServiceUri string
param tableServiceUri string
param queueServiceUri string

param names {
  evidenceTable: string
  exceptionsTable: string
  intentsTable: string
  sweepQueue: string
  reportsContainer: string
  deadLetterContainer: string
  deploymentContainer: string
}

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int
param maximumInstanceCount int

param appInsightsConnectionString string
param workspaceId string

param monitoredSubscriptionIds string[]
@description('Event Grid custom topic endpoint for notifications; empty when notifications are off.')
param notifyTopicEndpoint string
param sweepSchedule string

@description('NCRONTAB schedule of the daily identity validation (DW_IDENTITY_SCHEDULE).')
param identitySchedule string

@description('Identity validation over Microsoft Graph on or off (DW_IDENTITY_ENABLED); needs the Graph permissions (infra/grant-graph-permissions.sh).')
param identityEnabled bool

@description('Microsoft Graph endpoint (DW_GRAPH_ENDPOINT).')
param graphEndpoint string

@description('Comma-separated privileged role template ids (DW_IDENTITY_PRIVILEGED_ROLES). Empty: built-in default.')
param privilegedRoles string

@description('Highest sign-in frequency for admins and the session apps, in hours (DW_IDENTITY_SESSION_MAX_HOURS). Empty: 12.')
param sessionMaxHours string

@description('Apps whose sessions must time out, "Name=<appId>,..." (DW_IDENTITY_SESSION_APPS).')
param sessionApps string

@description('An access review must have completed within this many days (DW_IDENTITY_REVIEW_MAX_AGE_DAYS). Empty: 92.')
param accessReviewMaxAgeDays string

@description('Azure Policy SOC 2 Type 2 initiative id for the cross-check (DW_POLICY_SOC2_INITIATIVE_ID).')
param soc2InitiativeId string
param auditOnly bool
param controlModes string
param phiTagName string
param phiTagValues string
param managementPorts string
param internetPrefixMaxLength string
param auditWorkspaceTag string
param auditWorkspaceIds string
param diagnosticWorkspaceId string
param logRetentionDays string
param exceptionMaxDays int

@description('Versionless Key Vault key id that signs evidence digests (modules/evidence-anchor.bicep).')
param signingKeyId string
@description('Container holding the signed digests (time-based immutability).')
param digestContainer string
@description('Seconds between evidence digests.')
param digestIntervalSeconds int

param authClientId string
// The NAME of the app setting that holds the secret, not the secret itself (the linter goes by the name).
#disable-next-line secure-secrets-in-params
param authClientSecretSettingName string
param unauthenticatedClientAction string

// The Event Grid extension's webhook: reached with the system key, so App Service Authentication
// must let it through. Everything else (the /api/ routes, the log page) requires a signed-in user.
var eventGridWebhookPath = '/runtime/webhooks/eventgrid'
// The on-call page is excluded from the platform's check so an unauthenticated browser is not
// answered 401: the page itself redirects to /.auth/login/aad. Every /api/* data route stays
// behind the check (Return401 by default: an API client gets a status, not a login redirect).
var onCallPagePath = '/api/ui'

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobServiceUri}${names.deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

// ------------------------------------------------------------------------------ app settings

var appSettings = {
  // Functions host storage, identity-based
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId

  // Telemetry with Entra ID auth (the component has local auth disabled)
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'

  // DefaultAzureCredential picks the user-assigned identity
  AZURE_CLIENT_ID: identityClientId

  // Evidence storage (lib/config.ts) and the sweep queue trigger's connection "DW_STORAGE"
  DW_STORAGE__tableServiceUri: tableServiceUri
  DW_STORAGE__blobServiceUri: blobServiceUri
  DW_STORAGE__queueServiceUri: queueServiceUri
  DW_STORAGE__credential: 'managedidentity'
  DW_STORAGE__clientId: identityClientId
  DW_EVIDENCE_TABLE: names.evidenceTable
  DW_EXCEPTIONS_TABLE: names.exceptionsTable
  DW_REPORTS_CONTAINER: names.reportsContainer
  DW_SWEEP_QUEUE: names.sweepQueue
  DW_SWEEP_SCHEDULE: sweepSchedule

  // What to watch, and the loop guard (our own writes raise events too)
  DW_SUBSCRIPTION_IDS: join(monitoredSubscriptionIds, ',')
  DW_SELF_OBJECT_ID: identityPrincipalId
  DW_SELF_APP_ID: identityClientId
  DW_ARM_ENDPOINT: environment().resourceManager

  // Behaviour
  DW_AUDIT_ONLY: auditOnly ? 'true' : 'false'
  DW_CONTROL_MODES: controlModes
  DW_PHI_TAG_NAME: phiTagName
  DW_PHI_TAG_VALUES: phiTagValues
  DW_MANAGEMENT_PORTS: managementPorts
  DW_INTERNET_PREFIX_MAX_LENGTH: internetPrefixMaxLength
  DW_LOG_RETENTION_DAYS: logRetentionDays
  DW_AUDIT_WORKSPACE_TAG: auditWorkspaceTag
  DW_AUDIT_WORKSPACE_IDS: auditWorkspaceIds
  DW_DIAG_WORKSPACE_ID: diagnosticWorkspaceId
  DW_EXCEPTION_MAX_DAYS: string(exceptionMaxDays)

  // Evidence anchoring: signed digests in the WORM container (README "Evidence trust model")
  DW_SIGNING_KEY_ID: signingKeyId
  DW_DIGEST_CONTAINER: digestContainer
  DW_DIGEST_INTERVAL: string(digestIntervalSeconds)
  // 16 sub-chains per subscription-month: concurrent events on one subscription spread over 16 heads
  DW_EVIDENCE_SUB_CHAINS: '16'
  // the event path reuses the exceptions it read for 5 s (our own writes invalidate at once)
  DW_EXCEPTIONS_CACHE_MS: '5000'
  // one person requests an exception for a management port, another approves it
  DW_TWO_STEP_CONTROLS: 'NSG-MGMT-PORT'
  // Identity governance (Microsoft Graph, audit only) and the Azure Policy cross-check
  DW_IDENTITY_ENABLED: identityEnabled ? 'true' : 'false'
  DW_IDENTITY_SCHEDULE: identitySchedule
  DW_GRAPH_ENDPOINT: graphEndpoint
  DW_TENANT_ID: tenant().tenantId
  DW_IDENTITY_PRIVILEGED_ROLES: privilegedRoles
  DW_IDENTITY_SESSION_MAX_HOURS: sessionMaxHours
  DW_IDENTITY_SESSION_APPS: sessionApps
  DW_IDENTITY_REVIEW_MAX_AGE_DAYS: accessReviewMaxAgeDays
  DW_POLICY_SOC2_INITIATIVE_ID: soc2InitiativeId
}

// Only when the notification topic exists.
var notifySettings = empty(notifyTopicEndpoint) ? {} : {
  DW_NOTIFY_TOPIC_ENDPOINT: notifyTopicEndpoint
}

resource siteAppSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appSettings, notifySettings)
}

// ------------------------------------------------------------------- authentication (Easy Auth)

resource siteAuth 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
      runtimeVersion: '~1'
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: unauthenticatedClientAction
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: [
        eventGridWebhookPath
        onCallPagePath
      ]
    }
    httpSettings: {
      requireHttps: true
      routes: {
        apiPrefix: '/.auth'
      }
      forwardProxy: {
        convention: 'NoProxy'
      }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          clientSecretSettingName: empty(authClientSecretSettingName) ? null : authClientSecretSettingName
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${authClientId}'
            authClientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
  dependsOn: [
    siteAppSettings
  ]
}

// Deployments use Entra ID (az functionapp deploy), never publishing passwords.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

// 2021-05-01-preview is the newest diagnosticSettings API and the only one with categoryGroup; the
// linter's GA suggestion (2016-09-01) is the legacy per-service setting (name 'service', no categoryGroup).
#disable-next-line use-recent-api-versions
resource siteDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: site
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'FunctionAppLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
