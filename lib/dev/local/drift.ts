import type { SecurityRule } from '@azure/arm-network';
import type { StorageAccountUpdateParameters } from '@azure/arm-storage';
import { DEMO, DEMO_IDS } from './demo-scenario.js';
import type { SandboxClients } from './sandbox-clients.js';

/**
 * The demo's drift catalogue: realistic mistakes made through the ARM sandbox with the real SDK
 * clients, as a named user, so they flow through the same event path an Azure change would.
 */
export const DRIFT_KINDS = [
  'open-rdp',
  'public-blob',
  'weak-tls',
  'open-http',
  'public-container',
  'short-retention',
  'drop-diagnostics',
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export function isDriftKind(value: string): value is DriftKind {
  return (DRIFT_KINDS as readonly string[]).includes(value);
}

function internetRule(port: string, priority: number): SecurityRule {
  return {
    protocol: 'Tcp',
    sourceAddressPrefix: 'Internet',
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    destinationPortRange: port,
    access: 'Allow',
    priority,
    direction: 'Inbound',
    description: 'temporary: vendor support session',
  };
}

/**
 * @azure/arm-storage 20.0.0 only sends `properties` on PATCH when it finds a PascalCase marker key
 * ("AllowBlobPublicAccess"); without it a PATCH of just this flag goes out empty (the same
 * workaround as lib/azure/resources.ts). The marker itself is not serialised.
 */
function openToAnonymous(): StorageAccountUpdateParameters {
  const parameters: StorageAccountUpdateParameters & { AllowBlobPublicAccess?: boolean } = {
    allowBlobPublicAccess: true,
    AllowBlobPublicAccess: true,
  };
  return parameters;
}

const p = DEMO.patientPortal;
const accountLabel = `storage account ${p.storageAccount} (${p.resourceGroup})`;
const nsgLabel = `NSG ${p.nsg} (${p.resourceGroup})`;
const m = DEMO.monitoring;
const t = DEMO.telehealth;

/** Makes one drift; returns what changed, in words. */
export async function makeDrift(kind: DriftKind, clients: SandboxClients): Promise<string[]> {
  switch (kind) {
    case 'open-rdp':
      await clients.network.securityRules.beginCreateOrUpdateAndWait(
        p.resourceGroup,
        p.nsg,
        p.rdpRule,
        internetRule('3389', 100),
      );
      return [`${nsgLabel}: rule ${p.rdpRule} now allows RDP (Tcp 3389) inbound from Internet, priority 100`];
    case 'open-http':
      await clients.network.securityRules.beginCreateOrUpdateAndWait(
        p.resourceGroup,
        p.nsg,
        p.httpRule,
        internetRule('80', 120),
      );
      return [`${nsgLabel}: rule ${p.httpRule} now allows HTTP (Tcp 80) inbound from Internet, priority 120`];
    case 'public-blob':
      await clients.storage.storageAccounts.update(p.resourceGroup, p.storageAccount, openToAnonymous());
      return [
        `${accountLabel}: allowBlobPublicAccess = true (containers may now be opened to anonymous readers)`,
      ];
    case 'weak-tls':
      await clients.storage.storageAccounts.update(p.resourceGroup, p.storageAccount, {
        minimumTlsVersion: 'TLS1_0',
      });
      return [`${accountLabel}: minimumTlsVersion = TLS1_0`];
    case 'short-retention':
      await clients.insights.workspaces.update(m.resourceGroup, m.auditWorkspace, { retentionInDays: 30 });
      return [
        `Log Analytics workspace ${m.auditWorkspace} (${m.resourceGroup}): retentionInDays = 30 (audit evidence older than a month is dropped)`,
      ];
    case 'drop-diagnostics':
      // the SDK takes the resource URI without its leading slash
      await clients.monitor.diagnosticSettings.delete(
        `${DEMO_IDS.telehealthAccount.slice(1)}/blobServices/default`,
        DEMO.diagnosticSetting,
      );
      return [
        `storage account ${t.storageAccount} (${t.resourceGroup}): blob diagnostic setting ${DEMO.diagnosticSetting} deleted (its audit logs stop)`,
      ];
    case 'public-container': {
      // Azure refuses a public container while the account disallows it, so open the account first.
      // driftwarden may close the account again before the second call lands; that refusal is the demo working.
      await clients.storage.storageAccounts.update(p.resourceGroup, p.storageAccount, openToAnonymous());
      const changes = [`${accountLabel}: allowBlobPublicAccess = true`];
      await clients.storage.blobContainers.update(p.resourceGroup, p.storageAccount, p.privateContainer, {
        publicAccess: 'Container',
      });
      changes.push(
        `container ${p.privateContainer}: publicAccess = Container (anyone can list and read its blobs)`,
      );
      return changes;
    }
  }
}
