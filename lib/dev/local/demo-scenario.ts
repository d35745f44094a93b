/**
 * The demo estate `npm start` seeds into the ARM sandbox: a small healthcare subscription.
 * - rg-patient-portal: a PHI storage account opened to anonymous access (account flag + a public
 *   container) and an NSG with an Internet→RDP allow rule next to a legitimate partner HTTPS rule.
 * - rg-telehealth: fully compliant (CMK, private network, TLS 1.2, no internet-facing rules).
 * - rg-scheduling: an older export account still accepting TLS 1.0.
 * - rg-monitoring: the audit workspace (12 months; its tables follow it, one archives for 2 years),
 *   where rg-telehealth and rg-scheduling send their audit logs; rg-patient-portal sends its logs
 *   to its own workspace, left at the 30-day default (LAW-RETENTION, remediated: once it is, the
 *   portal's DIAG-RESOURCE-LOGS holds too) and with two tables cut short on their own (reported,
 *   not changed),
 *   and keeps its keys in a vault without purge protection that is open to every network.
 *   rg-telehealth's account encrypts with an RSA-HSM key from its own (compliant) vault.
 * - the tenant (Graph) and Azure Policy states: demo-tenant.ts.
 * The shapes are ARM JSON as `az resource show` prints it (the sandbox scenario format).
 */
import type { Scenario } from '../arm-sandbox/index.js';
import { demoDirectory, demoPolicyStates } from './demo-tenant.js';

export const DEMO_SUBSCRIPTION_ID = '00000000-0000-4000-8000-000000000001';
export const DEMO_LOCATION = 'eastus2';

const sub = `/subscriptions/${DEMO_SUBSCRIPTION_ID}`;

/** Names the drift commands and the banner refer to. */
export const DEMO = {
  patientPortal: {
    resourceGroup: 'rg-patient-portal',
    storageAccount: 'stpatientportalphi',
    publicContainer: 'patient-documents',
    privateContainer: 'portal-assets',
    nsg: 'nsg-patient-portal',
    rdpRule: 'allow-rdp-from-internet',
    partnerRule: 'allow-https-from-partner',
    httpRule: 'allow-http-from-internet',
  },
  telehealth: {
    resourceGroup: 'rg-telehealth',
    storageAccount: 'sttelehealthrecords',
    nsg: 'nsg-telehealth',
  },
  scheduling: { resourceGroup: 'rg-scheduling', storageAccount: 'stschedulingexports' },
  monitoring: { resourceGroup: 'rg-monitoring', auditWorkspace: 'law-audit' },
  /** the diagnostic setting name every demo resource uses */
  diagnosticSetting: 'to-log-analytics',
} as const;

const p = DEMO.patientPortal;
const t = DEMO.telehealth;
const s = DEMO.scheduling;

export const DEMO_IDS = {
  patientAccount: `${sub}/resourceGroups/${p.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${p.storageAccount}`,
  patientNsg: `${sub}/resourceGroups/${p.resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${p.nsg}`,
  telehealthAccount: `${sub}/resourceGroups/${t.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${t.storageAccount}`,
  telehealthNsg: `${sub}/resourceGroups/${t.resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${t.nsg}`,
  schedulingAccount: `${sub}/resourceGroups/${s.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${s.storageAccount}`,
  auditWorkspace: `${sub}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-audit`,
  patientWorkspace: `${sub}/resourceGroups/${p.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/law-patient-portal`,
  patientVault: `${sub}/resourceGroups/${p.resourceGroup}/providers/Microsoft.KeyVault/vaults/kv-patient-portal`,
  telehealthVault: `${sub}/resourceGroups/${t.resourceGroup}/providers/Microsoft.KeyVault/vaults/kv-telehealth`,
} as const;

/** A diagnostic setting sending `scope`'s audit logs to `workspace`. */
function auditLogs(scope: string, workspace: string, group: 'audit' | 'allLogs' = 'audit') {
  return {
    id: `${scope}/providers/Microsoft.Insights/diagnosticSettings/${DEMO.diagnosticSetting}`,
    properties: { workspaceId: workspace, logs: [{ categoryGroup: group, enabled: true }] },
  };
}

const containerId = (account: string, name: string) => `${account}/blobServices/default/containers/${name}`;

function rule(
  name: string,
  priority: number,
  source: string,
  port: string,
  access: 'Allow' | 'Deny' = 'Allow',
): { name: string; properties: Record<string, unknown> } {
  return {
    name,
    properties: {
      protocol: 'Tcp',
      sourceAddressPrefix: source,
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: port,
      access,
      priority,
      direction: 'Inbound',
    },
  };
}

/**
 * Workspace tables (as `az monitor log-analytics workspace table list` shows them): the audit
 * workspace's follow its retention (one archives for two years); on the drifted portal workspace
 * two keep less than 12 months by their own setting, which the workspace remediation cannot fix.
 */
function demoTables(): { id: string; properties: Record<string, unknown> }[] {
  const table = (workspace: string, name: string, properties: Record<string, unknown> = {}) => ({
    id: `${workspace}/tables/${name}`,
    properties: { plan: 'Analytics', ...properties },
  });
  return [
    table(DEMO_IDS.auditWorkspace, 'AzureDiagnostics'),
    table(DEMO_IDS.auditWorkspace, 'StorageBlobLogs'),
    table(DEMO_IDS.auditWorkspace, 'SigninLogs', { retentionInDays: 90, totalRetentionInDays: 730 }),
    table(DEMO_IDS.patientWorkspace, 'AzureDiagnostics'),
    // drift: cut short per table (interactive 30 days, no long-term retention)
    table(DEMO_IDS.patientWorkspace, 'StorageBlobLogs', { retentionInDays: 30 }),
    table(DEMO_IDS.patientWorkspace, 'PortalAudit_CL', { retentionInDays: 30, totalRetentionInDays: 90 }),
  ];
}

export function demoScenario(): Required<Scenario> {
  const phiTags = {
    'data-classification': 'phi',
    workload: 'patient-portal',
    owner: 'portal-team@contoso.example',
  };
  return {
    subscriptions: [DEMO_SUBSCRIPTION_ID],
    resources: [
      {
        id: DEMO_IDS.patientAccount,
        location: DEMO_LOCATION,
        kind: 'StorageV2',
        sku: { name: 'Standard_GRS' },
        tags: phiTags,
        properties: {
          allowBlobPublicAccess: true, // drift: anonymous access allowed
          minimumTlsVersion: 'TLS1_2',
          supportsHttpsTrafficOnly: true,
        },
      },
      {
        id: containerId(DEMO_IDS.patientAccount, p.publicContainer),
        properties: { publicAccess: 'Container' },
      },
      { id: containerId(DEMO_IDS.patientAccount, p.privateContainer), properties: { publicAccess: 'None' } },
      {
        id: DEMO_IDS.patientNsg,
        location: DEMO_LOCATION,
        tags: { workload: 'patient-portal' },
        properties: {
          securityRules: [
            rule(p.rdpRule, 100, 'Internet', '3389'), // drift: RDP open to the internet
            // A partner's /24 is not "the internet" (narrower than the /16 default): legitimate.
            rule(p.partnerRule, 200, '198.51.100.0/24', '443'),
          ],
        },
      },
      {
        id: DEMO_IDS.telehealthAccount,
        location: DEMO_LOCATION,
        kind: 'StorageV2',
        sku: { name: 'Standard_ZRS' },
        tags: { 'data-classification': 'phi', workload: 'telehealth' },
        properties: {
          allowBlobPublicAccess: false,
          minimumTlsVersion: 'TLS1_2',
          supportsHttpsTrafficOnly: true,
          publicNetworkAccess: 'Disabled',
          networkAcls: {
            bypass: 'AzureServices',
            virtualNetworkRules: [],
            ipRules: [],
            defaultAction: 'Deny',
          },
          encryption: {
            keySource: 'Microsoft.Keyvault',
            keyVaultProperties: {
              keyName: 'telehealth-records',
              keyVaultUri: 'https://kv-telehealth.vault.azure.net/',
            },
            services: {
              blob: { enabled: true, keyType: 'Account' },
              file: { enabled: true, keyType: 'Account' },
            },
          },
        },
      },
      {
        id: containerId(DEMO_IDS.telehealthAccount, 'visit-recordings'),
        properties: { publicAccess: 'None' },
      },
      {
        id: DEMO_IDS.telehealthNsg,
        location: DEMO_LOCATION,
        tags: { workload: 'telehealth' },
        properties: {
          securityRules: [
            rule('allow-https-from-vnet', 100, 'VirtualNetwork', '443'),
            rule('allow-ssh-from-bastion', 110, '10.20.1.0/26', '22'),
          ],
        },
      },
      {
        id: DEMO_IDS.schedulingAccount,
        location: DEMO_LOCATION,
        kind: 'StorageV2',
        sku: { name: 'Standard_LRS' },
        tags: { workload: 'scheduling' },
        properties: {
          allowBlobPublicAccess: false,
          minimumTlsVersion: 'TLS1_0', // drift: weak TLS on an older account
          supportsHttpsTrafficOnly: true,
        },
      },
      { id: DEMO_IDS.auditWorkspace, location: DEMO_LOCATION, properties: { retentionInDays: 365 } },
      {
        id: DEMO_IDS.patientWorkspace,
        location: DEMO_LOCATION,
        tags: { workload: 'patient-portal' },
        properties: { retentionInDays: 30 }, // drift: the 30-day default, too short for audit evidence
      },
      ...demoTables(),
      {
        id: DEMO_IDS.patientVault,
        location: DEMO_LOCATION,
        tags: phiTags,
        // drift: no purge protection, reachable from every network
        properties: {
          sku: { family: 'A', name: 'standard' },
          enableSoftDelete: true,
          softDeleteRetentionInDays: 90,
        },
      },
      {
        id: DEMO_IDS.telehealthVault,
        location: DEMO_LOCATION,
        tags: { 'data-classification': 'phi', workload: 'telehealth' },
        properties: {
          sku: { family: 'A', name: 'premium' },
          enableSoftDelete: true,
          softDeleteRetentionInDays: 90,
          enablePurgeProtection: true,
          publicNetworkAccess: 'Disabled',
          networkAcls: {
            bypass: 'AzureServices',
            defaultAction: 'Deny',
            ipRules: [],
            virtualNetworkRules: [],
          },
        },
      },
      {
        id: `${DEMO_IDS.telehealthVault}/keys/telehealth-records`,
        properties: { kty: 'RSA-HSM', keySize: 3072 },
      },
      auditLogs(`${DEMO_IDS.telehealthAccount}/blobServices/default`, DEMO_IDS.auditWorkspace),
      auditLogs(DEMO_IDS.telehealthNsg, DEMO_IDS.auditWorkspace, 'allLogs'),
      auditLogs(DEMO_IDS.telehealthVault, DEMO_IDS.auditWorkspace),
      auditLogs(`${DEMO_IDS.schedulingAccount}/blobServices/default`, DEMO_IDS.auditWorkspace),
      auditLogs(`${DEMO_IDS.patientAccount}/blobServices/default`, DEMO_IDS.patientWorkspace),
      auditLogs(DEMO_IDS.patientNsg, DEMO_IDS.patientWorkspace, 'allLogs'),
      auditLogs(DEMO_IDS.patientVault, DEMO_IDS.patientWorkspace),
    ],
    drifted: [
      DEMO_IDS.patientAccount,
      DEMO_IDS.patientNsg,
      DEMO_IDS.schedulingAccount,
      DEMO_IDS.patientWorkspace,
      DEMO_IDS.patientVault,
    ],
    // the demo tenant (Graph) and the subscription's Azure Policy states: demo-tenant.ts
    directory: demoDirectory(),
    policyStates: demoPolicyStates(DEMO_SUBSCRIPTION_ID, DEMO_IDS),
  };
}
