/** The handle a started sandbox gives its callers (tests, benchmarks, local mode, the admin API). */
import type https from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import type { DeliveredEvent } from './delivery.js';
import type { SandboxEvent } from './events.js';
import type {
  ArmResource,
  CallerClaims,
  FaultSettings,
  SandboxStats,
  Scenario,
  ThrottleSettings,
  WebhookSettings,
} from './types.js';

/** Options to spread into `new StorageManagementClient(cred, sub, { ...sandbox.clientOptions() })` (and the network client). */
export interface SandboxClientOptions {
  endpoint: string;
  /** trusts the sandbox's self-signed certificate for this client only (core-rest-pipeline's agent option) */
  agent: https.Agent;
}

export interface Sandbox {
  /** https://127.0.0.1:PORT */
  url: string;
  /** the Microsoft Graph root (DW_GRAPH_ENDPOINT): https://127.0.0.1:PORT/graph, serving /v1.0/... */
  graphUrl: string;
  port: number;
  /** PEM file to trust from another process: NODE_EXTRA_CA_CERTS=<caCertPath> */
  caCertPath: string;
  caCertPem: string;
  clientOptions(): SandboxClientOptions;
  /** unsigned JWT credential with these claims (the sandbox reports them as the caller) */
  credential(claims?: CallerClaims): TokenCredential;
  /** seeds ARM resources, and the scenario's directory (Graph) and policy states when present */
  seed(scenario: Scenario): void;
  /** forgets all resources, the directory, policy states, pending operations and event logs (keeps webhook, faults, stats) */
  reset(): void;
  /**
   * changes a container's public access the way the Blob service would (data plane): the
   * container changes, no ARM event is published; refused (ArmError 409) when the account
   * disallows public access
   */
  setContainerAccessFromDataPlane(containerId: string, publicAccess: string): ArmResource;
  /** a copy of the stored resource (security rules included), case-insensitive id */
  getResource(id: string): ArmResource | undefined;
  /** copies of all stored resources (rules are inside their NSG) */
  listResources(): ArmResource[];
  stats(): SandboxStats;
  /** method and path of every ARM request received since the last resetStats (newest 10,000) */
  requestLog(): { method: string; path: string }[];
  resetStats(): void;
  setFaults(faults: FaultSettings | undefined): void;
  setLatency(ms: number): void;
  setThrottle(throttle: ThrottleSettings | false): void;
  /** registers the webhook after the validation handshake (throws if the endpoint fails it); null removes it */
  setWebhook(webhook: WebhookSettings | null): Promise<void>;
  /** successfully delivered events, one entry per delivery (duplicates included), in arrival order */
  events(): DeliveredEvent[];
  /** every event generated, in emission order, whether or not a webhook is set */
  emittedEvents(): SandboxEvent[];
  /** events that exhausted their attempts or hit a no-retry status */
  deadLetteredEvents(): SandboxEvent[];
  /** resolves when no delivery is queued, in flight or waiting for a retry */
  waitForEventsIdle(): Promise<void>;
  stop(): Promise<void>;
}
