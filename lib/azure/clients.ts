import { NetworkManagementClient } from '@azure/arm-network';
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

/** One pair of SDK clients per subscription, created lazily and reused (keeps connections warm). */
export class ArmClients {
  private readonly storage = new Map<string, StorageManagementClient>();
  private readonly network = new Map<string, NetworkManagementClient>();

  constructor(readonly connection: ArmConnection) {}

  storageFor(subscriptionId: string): StorageManagementClient {
    const key = subscriptionId.toLowerCase();
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

  networkFor(subscriptionId: string): NetworkManagementClient {
    const key = subscriptionId.toLowerCase();
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
