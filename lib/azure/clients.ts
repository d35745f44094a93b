import type { KeyVaultManagementClient } from '@azure/arm-keyvault';
import type { MonitorClient } from '@azure/arm-monitor';
import type { NetworkManagementClient } from '@azure/arm-network';
import type { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import type { StorageManagementClient } from '@azure/arm-storage';
import type { TokenCredential } from '@azure/core-auth';
import type { CommonClientOptions } from '@azure/core-client';

/**
 * How we reach Azure Resource Manager. In Azure: the app's one DefaultAzureCredential (the Function
 * App's user-assigned managed identity via AZURE_CLIENT_ID, lib/app/app.ts) and management.azure.com.
 * In local mode and tests: the ARM sandbox's endpoint, stand-in credential and TLS trust, passed in
 * as client options.
 */
export interface ArmConnection {
  credential: TokenCredential;
  endpoint: string;
  /** extra SDK client options (e.g. the sandbox's CA trust policy, retry tuning) */
  clientOptions?: CommonClientOptions;
}

/**
 * One export of a lazily imported SDK. In the functions bundle each such package is a chunk of its
 * own, and a CommonJS-only one (@azure/arm-monitor, @azure/arm-operationalinsights) comes back as a
 * namespace holding only `default` (its module.exports), where Node's loader would also give the
 * named exports: look there too, or the bundled sweep cannot construct those clients.
 */
function named<T extends object, K extends keyof T>(namespace: T, name: K): T[K] {
  const value = namespace[name] ?? (namespace as { default?: Partial<T> }).default?.[name];
  if (value === undefined) throw new Error(`the SDK package exports no ${String(name)}`);
  return value as T[K];
}

type Factory<T> = (
  credential: TokenCredential,
  subscriptionId: string,
  options: CommonClientOptions & { endpoint: string },
) => T;

/**
 * One SDK client per service and subscription, created lazily and reused (keeps connections warm).
 * The SDK packages themselves load on first use: @azure/arm-network alone is half of the deployed
 * bundle, and evaluating them at import would slow every cold start, including those of functions
 * that never call ARM (the HTTP API, the web page).
 */
export class ArmClients {
  private readonly clients = new Map<string, unknown>();

  constructor(readonly connection: ArmConnection) {}

  private async client<T>(
    service: string,
    subscriptionId: string,
    load: () => Promise<Factory<T>>,
  ): Promise<T> {
    const key = `${service}|${subscriptionId.toLowerCase()}`;
    const existing = this.clients.get(key) as T | undefined;
    if (existing) return existing;
    const create = await load();
    // A concurrent first call may have created it while the package loaded.
    let client = this.clients.get(key) as T | undefined;
    if (!client) {
      client = create(this.connection.credential, subscriptionId, {
        ...this.connection.clientOptions,
        endpoint: this.connection.endpoint,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  storageFor(subscriptionId: string): Promise<StorageManagementClient> {
    return this.client('storage', subscriptionId, async () => {
      const StorageManagementClient = named(await import('@azure/arm-storage'), 'StorageManagementClient');
      return (c, s, o) => new StorageManagementClient(c, s, o);
    });
  }

  networkFor(subscriptionId: string): Promise<NetworkManagementClient> {
    return this.client('network', subscriptionId, async () => {
      const NetworkManagementClient = named(await import('@azure/arm-network'), 'NetworkManagementClient');
      return (c, s, o) => new NetworkManagementClient(c, s, o);
    });
  }

  /** Log Analytics workspaces (@azure/arm-operationalinsights). */
  operationalInsightsFor(subscriptionId: string): Promise<OperationalInsightsManagementClient> {
    return this.client('operationalinsights', subscriptionId, async () => {
      const OperationalInsightsManagementClient = named(
        await import('@azure/arm-operationalinsights'),
        'OperationalInsightsManagementClient',
      );
      return (c, s, o) => new OperationalInsightsManagementClient(c, s, o);
    });
  }

  /** Diagnostic settings (@azure/arm-monitor); their scope is a resource id, the subscription only routes throttling. */
  monitorFor(subscriptionId: string): Promise<MonitorClient> {
    return this.client('monitor', subscriptionId, async () => {
      const MonitorClient = named(await import('@azure/arm-monitor'), 'MonitorClient');
      return (c, s, o) => new MonitorClient(c, s, o);
    });
  }

  /** Key vaults and their keys (@azure/arm-keyvault). */
  keyVaultFor(subscriptionId: string): Promise<KeyVaultManagementClient> {
    return this.client('keyvault', subscriptionId, async () => {
      const KeyVaultManagementClient = named(await import('@azure/arm-keyvault'), 'KeyVaultManagementClient');
      return (c, s, o) => new KeyVaultManagementClient(c, s, o);
    });
  }
}
