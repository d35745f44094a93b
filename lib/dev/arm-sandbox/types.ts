/**
 * Shared shapes of the ARM sandbox: options, scenario files and the stored ARM resources.
 * The sandbox lives under lib/dev/ (developer tooling: never in the deployed bundle).
 */

export type FaultKind = '500' | '409' | '429' | 'reset';
export type EventSchema = 'EventGrid' | 'CloudEvents' | 'ResourceNotifications';

export interface BucketSettings {
  /** tokens available at once */
  burst: number;
  /** tokens refilled per second */
  perSecond: number;
}

export interface ThrottleSettings {
  reads: BucketSettings;
  writes: BucketSettings;
}

/** ARM's documented per-subscription limits (roughly): reads 250 burst / 25 per s, writes 200 / 10 per s. */
export const ARM_LIKE_THROTTLE: ThrottleSettings = {
  reads: { burst: 250, perSecond: 25 },
  writes: { burst: 200, perSecond: 10 },
};

export interface FaultSettings {
  /** probability (0..1) that a request is answered with a fault instead of being served */
  rate: number;
  seed?: number;
  /** which faults to draw from; default all four */
  kinds?: FaultKind[];
}

export interface WebhookSettings {
  url: string;
  /** default 'EventGrid' */
  schema?: EventSchema;
  /** deliver each event this many times (at-least-once redelivery); default 1 */
  duplicates?: number;
  /** deliver queued events in a seeded random order instead of emission order */
  shuffle?: boolean;
  /** wait before each delivery (scaled by timeScale); default 0 */
  delayMs?: number;
  /** first retry backoff, doubled per attempt (scaled by timeScale); default 1000 */
  retryBaseMs?: number;
  /** attempts before an event is dead-lettered (counted in stats().eventsFailed); default 8 */
  maxAttempts?: number;
}

export interface SandboxOptions {
  /** 0 or omitted: a free port */
  port?: number;
  /** where cert.pem/key.pem live; reused when present (so NODE_EXTRA_CA_CERTS stays valid across restarts) */
  certDir?: string;
  /** items per list page before a nextLink; default 100 */
  pageSize?: number;
  /** added to every request; default 0 */
  latencyMs?: number;
  /** per-subscription token buckets; default off */
  throttle?: ThrottleSettings | false;
  faults?: FaultSettings;
  /** seed for everything random (faults, shuffle) unless given more specifically; default 1 */
  seed?: number;
  webhook?: WebhookSettings;
  scenario?: Scenario;
  /** multiplies time-based behaviour (event retry backoff and delays, LRO duration); default 1 */
  timeScale?: number;
  /**
   * how long a long-running operation stays InProgress (scaled by timeScale); default 0. While
   * one runs on an NSG, other writes to it and its rules answer 429 RetryableError, as in Azure.
   */
  lroDurationMs?: number;
  /**
   * when a write's event is published: 'completion' of its operation (default), or 'accept' —
   * as soon as ARM accepts the write, while a re-read may still show provisioningState Updating
   * (Azure's ResourceWriteSuccess can arrive that early)
   */
  eventTiming?: 'completion' | 'accept';
  /** Graph items per page before an @odata.nextLink; default 100 */
  graphPageSize?: number;
  /** tenant id reported in events and tokens */
  tenantId?: string;
}

/** Claims the stand-in credential puts into its (unsigned) token. */
export interface CallerClaims {
  upn?: string;
  oid?: string;
  appid?: string;
  name?: string;
  tid?: string;
}

/** A resource in a scenario: ARM JSON as `az resource show` prints it (id + properties suffice). */
export interface ScenarioResource {
  id: string;
  location?: string;
  tags?: Record<string, string>;
  sku?: { name: string; tier?: string };
  kind?: string;
  properties?: Record<string, unknown>;
}

export interface Scenario {
  /** informational: subscriptions the scenario covers */
  subscriptions?: string[];
  /** storage accounts, blob containers, network security groups (security rules embedded in properties.securityRules) */
  resources: ScenarioResource[];
  /** the Entra directory the sandbox's Microsoft Graph serves (under /graph) */
  directory?: DirectorySpec;
  /** Azure Policy compliance states the policyStates query API serves */
  policyStates?: PolicyStateSpec[];
  /** ids the generator deliberately drifted (for benchmarks to check against) */
  drifted?: string[];
}

export type { ResourceKind } from '../../resources/kinds.js';
export type { DirectorySpec } from './providers/graph/directory.js';
export type { PolicyStateSpec } from './providers/policyinsights/states.js';

import type { DirectorySpec } from './providers/graph/directory.js';
import type { PolicyStateSpec } from './providers/policyinsights/states.js';

/** An ARM resource body as the sandbox stores and returns it. */
export interface ArmResource {
  id: string;
  name: string;
  type: string;
  location?: string;
  tags?: Record<string, string>;
  etag?: string;
  sku?: { name: string; tier?: string };
  kind?: string;
  properties: Record<string, unknown>;
}

export interface SandboxStats {
  requests: { reads: number; writes: number; byKind: Record<string, number> };
  throttled: number;
  faults: number;
  eventsDelivered: number;
  eventsFailed: number;
}
