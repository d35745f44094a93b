import type { NetworkManagementClient } from '@azure/arm-network';
import type { StorageManagementClient } from '@azure/arm-storage';
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

/**
 * One pair of SDK clients per subscription, created lazily and reused (keeps connections warm).
 * The SDK packages themselves load on first use: @azure/arm-network alone is half of the deployed
 * bundle, and evaluating it at import would slow every cold start, including those of functions
 * that never call ARM (the HTTP API, the web page).
 */
export class ArmClients {
  private readonly storage = new Map<string, StorageManagementClient>();
  private readonly network = new Map<string, NetworkManagementClient>();

  constructor(readonly connection: ArmConnection) {}

  async storageFor(subscriptionId: string): Promise<StorageManagementClient> {
    const key = subscriptionId.toLowerCase();
    const existing = this.storage.get(key);
    if (existing) return existing;
    const { StorageManagementClient } = await import('@azure/arm-storage');
    // A concurrent first call may have created it while the package loaded.
    let client = this.storage.get(key);
    if (!client) {
      client = new StorageManagementClient(this.connection.credential, subscriptionId, {
        ...this.connection.clientOptions,
        endpoint: this.connection.endpoint,
      });
      this.storage.set(key, client);
    }
    return client;
  }

  async networkFor(subscriptionId: string): Promise<NetworkManagementClient> {
    const key = subscriptionId.toLowerCase();
    const existing = this.network.get(key);
    if (existing) return existing;
    const { NetworkManagementClient } = await import('@azure/arm-network');
    let client = this.network.get(key);
    if (!client) {
      client = new NetworkManagementClient(this.connection.credential, subscriptionId, {
        ...this.connection.clientOptions,
        endpoint: this.connection.endpoint,
      });
      this.network.set(key, client);
    }
    return client;
  }
}
