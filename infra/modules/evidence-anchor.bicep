// Evidence anchoring (README "Evidence trust model"): what table access does not give.
//
// - A Key Vault (RBAC, purge protection, Premium for HSM keys) holding the digest signing key
//   (RSA-HSM): the private key never leaves the HSM.
// - The Function App identity may only sign with that key and read its public part (a custom
//   role with exactly keys/sign/action + keys/read, scoped to the key; the built-in "Key Vault
//   Crypto User" would also allow encrypt, decrypt, wrap, unwrap and verify).
// - The digest container with a time-based retention (WORM) policy: the app can create digests,
//   nobody can overwrite or delete them for `digestRetentionDays`.
//
// Locking the policy is IRREVERSIBLE: a locked policy can only be extended (at most five times),
// never shortened or removed, and neither the container nor the storage account can be deleted
// while any digest is within its retention. Azure creates policies unlocked; with
// `lockDigestImmutability` (default true) a deployment script locks it right after creation.
param location string
param tags { *: string }

@description('Key Vault name (3-24 characters, globally unique).')
param vaultName string

@description('Name of the digest signing key in the vault.')
param keyName string = 'driftwarden-digest'

@description('Storage account (evidence storage) holding the digest container.')
param storageAccountName string

@description('Digest container name (DW_DIGEST_CONTAINER).')
param digestContainerName string

@description('Retention of the digest container WORM policy in days (SOC 2 Type II: at least a year).')
@minValue(365)
@maxValue(146000)
param digestRetentionDays int = 400

@description('Lock the digest WORM policy in this deployment. IRREVERSIBLE (see the module header). Default true: production evidence must not be deletable.')
param lockDigestImmutability bool = true

@description('True on redeployments once the policy is locked: Bicep then leaves the locked policy alone (extend it with `az storage container immutability-policy extend`).')
param digestImmutabilityLocked bool = false

@description('Principal id of the Function App managed identity (signs digests).')
param appPrincipalId string

@description('Log Analytics workspace for the vault\'s audit logs (every sign is logged).')
param workspaceId string

resource vault 'Microsoft.KeyVault/vaults@2026-02-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'premium' // HSM-backed keys (RSA-HSM) need Premium
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true // a deleted key (and the vault) can be recovered, never purged early
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource signingKey 'Microsoft.KeyVault/vaults/keys@2026-02-01' = {
  parent: vault
  name: keyName
  properties: {
    kty: 'RSA-HSM'
    keySize: 3072
    keyOps: [
      'sign'
      'verify'
    ]
    attributes: {
      enabled: true
      exportable: false
    }
  }
}

// Least privilege for the app: sign with the key, read its public part (CryptographyClient reads
// the key once to learn its id and modulus). Nothing else in the vault.
resource signerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'driftwarden-digest-signer')
  properties: {
    roleName: 'driftwarden digest signer (${resourceGroup().name})'
    description: 'Sign evidence digests with the driftwarden Key Vault key and read its public key; nothing else.'
    type: 'CustomRole'
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.KeyVault/vaults/keys/sign/action'
          'Microsoft.KeyVault/vaults/keys/read'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource signerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(signingKey.id, appPrincipalId, signerRole.id)
  scope: signingKey
  properties: {
    roleDefinitionId: signerRole.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// 2021-05-01-preview is the newest diagnosticSettings version (the linter's 2016-09-01 lacks categoryGroup).
#disable-next-line use-recent-api-versions
resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'AuditEvent'
        enabled: true
      }
    ]
  }
}

// ------------------------------------------------------------------------ digest container

resource account 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2026-09-01' existing = {
  parent: account
  name: 'default'
}

resource digestContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-09-01' = {
  parent: blobService
  name: digestContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource digestImmutability 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2026-09-01' = if (!digestImmutabilityLocked) {
  parent: digestContainer
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: digestRetentionDays
    allowProtectedAppendWrites: false
  }
}

// Locking is an ARM action (POST .../immutabilityPolicies/default/lock with the policy's ETag),
// not a property, so a deployment script runs it, as an identity allowed exactly that.
resource lockerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = if (lockDigestImmutability && !digestImmutabilityLocked) {
  name: 'id-digest-lock-${take(uniqueString(account.id), 8)}'
  location: location
  tags: tags
}

resource lockerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (lockDigestImmutability && !digestImmutabilityLocked) {
  name: guid(resourceGroup().id, 'driftwarden-digest-policy-locker')
  properties: {
    roleName: 'driftwarden digest policy locker (${resourceGroup().name})'
    description: 'Read and lock the digest container immutability policy.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/read'
          'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/lock/action'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource lockerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (lockDigestImmutability && !digestImmutabilityLocked) {
  name: guid(digestContainer.id, 'digest-policy-locker')
  scope: digestContainer
  properties: {
    roleDefinitionId: lockerRole.id
    principalId: lockerIdentity!.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource lockPolicy 'Microsoft.Resources/deploymentScripts@2023-08-01' = if (lockDigestImmutability && !digestImmutabilityLocked) {
  name: 'lock-digest-immutability'
  location: location
  tags: tags
  kind: 'AzureCLI'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${lockerIdentity.id}': {}
    }
  }
  properties: {
    azCliVersion: '2.61.0'
    retentionInterval: 'PT1H'
    cleanupPreference: 'OnSuccess'
    environmentVariables: [
      { name: 'ACCOUNT', value: account.name }
      { name: 'CONTAINER', value: digestContainer.name }
      { name: 'GROUP', value: resourceGroup().name }
    ]
    // idempotent: a policy that is already locked is left alone
    scriptContent: '''
      set -e
      state=$(az storage container immutability-policy show -g "$GROUP" --account-name "$ACCOUNT" -c "$CONTAINER" --query state -o tsv)
      if [ "$state" != "Locked" ]; then
        etag=$(az storage container immutability-policy show -g "$GROUP" --account-name "$ACCOUNT" -c "$CONTAINER" --query etag -o tsv)
        az storage container immutability-policy lock -g "$GROUP" --account-name "$ACCOUNT" -c "$CONTAINER" --if-match "$etag"
      fi
    '''
  }
  dependsOn: [
    digestImmutability
    lockerAssignment
  ]
}

output vaultUri string = vault.properties.vaultUri
output keyName string = signingKey.name
/// Versionless key id: the app signs with the current version, each digest names the version it used.
output signingKeyId string = '${vault.properties.vaultUri}keys/${signingKey.name}'
output digestContainerName string = digestContainer.name
