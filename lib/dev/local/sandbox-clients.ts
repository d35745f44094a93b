import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { MonitorClient } from '@azure/arm-monitor';
import { NetworkManagementClient } from '@azure/arm-network';
import { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import { StorageManagementClient } from '@azure/arm-storage';
import type { TokenCredential } from '@azure/core-auth';
import { devObjectIdFor } from '../../api/auth.js';
import { sandboxCredential } from '../arm-sandbox/index.js';

/** How a CLI process reaches the running sandbox: real SDK clients, as a named person. */
export interface SandboxConnection {
  armEndpoint: string;
  caCertPath: string;
  subscriptionId: string;
}

export interface SandboxClients {
  storage: StorageManagementClient;
  network: NetworkManagementClient;
  insights: OperationalInsightsManagementClient;
  monitor: MonitorClient;
  /** closes the keep-alive sockets so a CLI process can exit */
  close(): void;
}

/** The Azure CLI's public client id: a person at a terminal, as ARM would report them. */
export const AZURE_CLI_APP_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

/** A person's claims locally: a stable object id per user name — the same the dev principal gets. */
export function personClaims(upn: string): { upn: string; name: string; oid: string; appid: string } {
  return { upn, name: upn.split('@')[0] ?? upn, oid: devObjectIdFor(upn), appid: AZURE_CLI_APP_ID };
}

/** Sandbox credential for a person (the sandbox reads the unsigned token's claims as the caller). */
export function userCredential(upn: string): TokenCredential {
  return sandboxCredential(personClaims(upn));
}

/** Real SDK clients that trust the sandbox's certificate (this client only, via an https.Agent). */
export function sandboxClients(connection: SandboxConnection, credential: TokenCredential): SandboxClients {
  const agent = new Agent({ ca: readFileSync(connection.caCertPath, 'utf8'), keepAlive: true });
  // No retries: a demo command should report a refused connection at once, not after backoff.
  const options = { endpoint: connection.armEndpoint, agent, retryOptions: { maxRetries: 0 } };
  return {
    storage: new StorageManagementClient(credential, connection.subscriptionId, options),
    network: new NetworkManagementClient(credential, connection.subscriptionId, options),
    insights: new OperationalInsightsManagementClient(credential, connection.subscriptionId, options),
    monitor: new MonitorClient(credential, connection.subscriptionId, options),
    close: () => agent.destroy(),
  };
}
