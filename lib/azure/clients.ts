import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { MonitorClient } from '@azure/arm-monitor';
import { NetworkManagementClient } from '@azure/arm-network';
import { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import { StorageManagementClient } from '@azure/arm-storage';
import type { TokenCredential } from '@azure/core-auth';
import type { CommonClientOptions } from '@azure/core-client';

/**
 * How we reach Azure Resource Manager. In Azure: the app's one DefaultAzureCredential (the Function
 * App's user-assigned managed identity via AZURE_CLIENT_ID, lib/app/app.ts) and management.azure.com. In local mode and
 * tests: the ARM sandbox's endpoint, stand-in credential and TLS trust, passed in as client options.
 */
export interface ArmConnection {
  credential: TokenCredential;
  endpoint: string;
  /** extra SDK client options (e.g. the sandbox's CA trust policy, retry tuning) */
  clientOptions?: CommonClientOptions;
}

type Factory<T> = (
  credential: TokenCredential,
  subscriptionId: string,
  options: CommonClientOptions & { endpoint: string },
) => T;

/** One SDK client per service and subscription, created lazily and reused (keeps connections warm). */
export class ArmClients {
  private readonly clients = new Map<string, unknown>();

  constructor(readonly connection: ArmConnection) {}

  private client<T>(service: string, subscriptionId: string, create: Factory<T>): T {
    const key = `${service}|${subscriptionId.toLowerCase()}`;
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

  storageFor(subscriptionId: string): StorageManagementClient {
    return this.client('storage', subscriptionId, (c, s, o) => new StorageManagementClient(c, s, o));
  }

  networkFor(subscriptionId: string): NetworkManagementClient {
    return this.client('network', subscriptionId, (c, s, o) => new NetworkManagementClient(c, s, o));
  }

  /** Log Analytics workspaces (@azure/arm-operationalinsights). */
  operationalInsightsFor(subscriptionId: string): OperationalInsightsManagementClient {
    return this.client(
      'operationalinsights',
      subscriptionId,
      (c, s, o) => new OperationalInsightsManagementClient(c, s, o),
    );
  }

  /** Diagnostic settings (@azure/arm-monitor); their scope is a resource id, the subscription only routes throttling. */
  monitorFor(subscriptionId: string): MonitorClient {
    return this.client('monitor', subscriptionId, (c, s, o) => new MonitorClient(c, s, o));
  }

  /** Key vaults and their keys (@azure/arm-keyvault). */
  keyVaultFor(subscriptionId: string): KeyVaultManagementClient {
    return this.client('keyvault', subscriptionId, (c, s, o) => new KeyVaultManagementClient(c, s, o));
  }
}
