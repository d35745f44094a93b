/**
 * Long-running operations the way ARM reports them: the write is accepted (201/202) with an
 * `Azure-AsyncOperation` status URL and/or a `Location` URL, stays InProgress for the configured
 * duration, then its completion step runs (provisioningState → Succeeded, event emitted).
 */
import { randomUUID } from 'node:crypto';
import { ArmError } from './arm.js';
import type { ArmResource } from './types.js';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed';
export type Provider =
  | 'Microsoft.Network'
  | 'Microsoft.Storage'
  | 'Microsoft.OperationalInsights'
  | 'Microsoft.KeyVault';

export interface Operation {
  id: string;
  provider: Provider;
  subscriptionId: string;
  location: string;
  apiVersion: string;
  status: OperationStatus;
  startTime: string;
  dueAt: number;
  /** what the RP calls it in its errors, e.g. PutSecurityRuleOperation */
  name: string;
  /** lower-cased id of the resource the operation holds (its NSG, for a rule) */
  holds: string;
  /** for PUTs: the resource once complete (returned by Location polling) */
  result?: ArmResource;
  error?: { code: string; message: string };
}

type Finish = () => ArmResource | undefined;

const MAX_REMEMBERED = 10_000;

export class OperationTracker {
  private readonly operations = new Map<string, Operation>();
  private readonly finishers = new Map<string, Finish>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly durationMs: () => number) {}

  start(
    provider: Provider,
    subscriptionId: string,
    location: string,
    apiVersion: string,
    finish: Finish,
    work: { name: string; holds: string },
  ): Operation {
    const duration = Math.max(0, this.durationMs());
    const operation: Operation = {
      id: randomUUID(),
      name: work.name,
      holds: work.holds.toLowerCase(),
      provider,
      subscriptionId,
      location: location.toLowerCase().replace(/\s+/g, ''),
      apiVersion,
      status: 'InProgress',
      startTime: new Date().toISOString(),
      dueAt: Date.now() + duration,
    };
    this.operations.set(operation.id, operation);
    this.finishers.set(operation.id, finish);
    this.forgetOldest();
    // Complete on time even if nobody polls (fire-and-forget callers still see the final state).
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.settle(operation);
    }, duration);
    timer.unref();
    this.timers.add(timer);
    return operation;
  }

  /** Current state; completes a due operation first so a poll never sees a stale InProgress. */
  get(id: string): Operation | undefined {
    const operation = this.operations.get(id.toLowerCase()) ?? this.operations.get(id);
    if (operation && operation.status === 'InProgress' && Date.now() >= operation.dueAt)
      this.settle(operation);
    return operation;
  }

  /** An operation still running on `resourceId` (due ones are completed first), if any. */
  runningOn(resourceId: string): Operation | undefined {
    const key = resourceId.toLowerCase();
    for (const operation of this.operations.values()) {
      if (operation.holds !== key || operation.status !== 'InProgress') continue;
      if (Date.now() >= operation.dueAt) this.settle(operation);
      else return operation;
    }
    return undefined;
  }

  private settle(operation: Operation): void {
    if (operation.status !== 'InProgress') return;
    const finish = this.finishers.get(operation.id);
    this.finishers.delete(operation.id);
    try {
      operation.result = finish?.();
      operation.status = 'Succeeded';
    } catch (thrown) {
      operation.status = 'Failed';
      operation.error =
        thrown instanceof ArmError
          ? { code: thrown.code, message: thrown.message }
          : { code: 'InternalServerError', message: String(thrown) };
    }
  }

  private forgetOldest(): void {
    while (this.operations.size > MAX_REMEMBERED) {
      const oldest = this.operations.keys().next().value;
      if (oldest === undefined) break;
      const operation = this.operations.get(oldest);
      if (operation) this.settle(operation);
      this.operations.delete(oldest);
    }
  }

  /** Runs every pending completion now (used on reset/stop so no timer fires later). */
  flush(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const operation of this.operations.values()) this.settle(operation);
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.operations.clear();
    this.finishers.clear();
  }
}

export function asyncOperationUrl(base: string, op: Operation): string {
  return `${base}/subscriptions/${op.subscriptionId}/providers/Microsoft.Network/locations/${op.location}/operations/${op.id}?api-version=${op.apiVersion}`;
}

export function operationResultUrl(base: string, op: Operation): string {
  return op.provider === 'Microsoft.Storage'
    ? `${base}/subscriptions/${op.subscriptionId}/providers/Microsoft.Storage/locations/${op.location}/asyncoperations/${op.id}?monitor=true&api-version=${op.apiVersion}`
    : `${base}/subscriptions/${op.subscriptionId}/providers/${op.provider}/locations/${op.location}/operationResults/${op.id}?api-version=${op.apiVersion}`;
}

/** Seconds a poller should wait, at least 1 while running (ARM sends integer seconds). */
export function retryAfterSeconds(op: Operation): string {
  return String(Math.max(1, Math.ceil((op.dueAt - Date.now()) / 1000)));
}
