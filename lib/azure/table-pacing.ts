import type { PipelinePolicy, PipelineRequest } from '@azure/core-rest-pipeline';

/**
 * Client-side pacing of Table Storage requests against the service's scalability targets: about
 * 2,000 entities/s per partition and 20,000 entities/s per account (an entity-group transaction
 * of n operations counts n). Above them the service answers 503 ServerBusy; pacing here keeps a
 * large sweep fan-out (many sub-chains, shards and claim partitions at once) under the targets
 * instead of tripping them. Installed as a pipeline policy on the TableClient, so every write path
 * (chains, log shards, claims, intents) is paced by one account bucket.
 *
 * The same policy, with `addedLatencyMs`, is the benches' model of real Table Storage in front of
 * Azurite (Azurite itself has neither targets nor network latency), and its stats give the
 * operations per partition (the busiest partition's share).
 */

export interface TableTargets {
  /** entity operations per second per partition (service target ~2,000) */
  partitionPerSecond: number;
  /** entity operations per second per storage account (service target ~20,000) */
  accountPerSecond: number;
  /** bench model only: latency added to every request, as a round trip to a region would */
  addedLatencyMs?: number;
}

export const TABLE_STORAGE_TARGETS: TableTargets = { partitionPerSecond: 2_000, accountPerSecond: 20_000 };

export interface TablePacingStats {
  requests: number;
  /** entity operations (a batch of n counts n; a query counts 1) */
  operations: number;
  /** total time requests waited for the targets */
  waitedMs: number;
  /** operations per PartitionKey */
  byPartition: Map<string, number>;
}

/** A bucket that may go negative: reserve(n) returns how long to wait so the rate holds. */
class RateBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = perSecond; // one second of burst
    this.updatedAt = now();
  }

  reserve(count: number): number {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.updatedAt) * this.perSecond) / 1000);
    this.updatedAt = now;
    this.tokens -= count;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.perSecond;
  }
}

const POINT = /\(PartitionKey='((?:[^']|'')*)',RowKey=/;
const FILTER = /PartitionKey eq '((?:[^']|'')*)'/;
const BODY_KEY = /"PartitionKey":"((?:[^"\\]|\\.)*)"/;
const BATCH_OPERATION = /^(?:POST|PUT|PATCH|MERGE|DELETE|GET) \S+ HTTP\/1\.1\r?$/gm;

function decoded(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

function urlKey(raw: string): string {
  return raw.replace(/''/g, "'");
}

/** PartitionKey and entity-operation count of one Table request ('' when it names no partition). */
export function describeTableRequest(request: Pick<PipelineRequest, 'url' | 'body'>): {
  partitionKey: string;
  operations: number;
} {
  const body = typeof request.body === 'string' ? request.body : '';
  if (request.url.endsWith('$batch')) {
    const operations = Math.max(1, body.match(BATCH_OPERATION)?.length ?? 1);
    const point = POINT.exec(decoded(body));
    if (point?.[1] !== undefined) return { partitionKey: urlKey(point[1]), operations };
    const inBody = BODY_KEY.exec(body);
    return {
      partitionKey: inBody?.[1] !== undefined ? (JSON.parse(`"${inBody[1]}"`) as string) : '',
      operations,
    };
  }
  const url = decoded(request.url);
  const point = POINT.exec(url);
  if (point?.[1] !== undefined) return { partitionKey: urlKey(point[1]), operations: 1 };
  const filter = FILTER.exec(url);
  if (filter?.[1] !== undefined) return { partitionKey: urlKey(filter[1]), operations: 1 };
  const inBody = BODY_KEY.exec(body);
  if (inBody?.[1] !== undefined)
    return { partitionKey: JSON.parse(`"${inBody[1]}"`) as string, operations: 1 };
  return { partitionKey: '', operations: 1 };
}

export class TablePacer {
  readonly stats: TablePacingStats = { requests: 0, operations: 0, waitedMs: 0, byPartition: new Map() };
  private readonly account: RateBucket;
  private readonly partitions = new Map<string, RateBucket>();

  constructor(
    private readonly targets: TableTargets = TABLE_STORAGE_TARGETS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.account = new RateBucket(targets.accountPerSecond, now);
  }

  /** The busiest partition and its share of all operations. */
  busiest(): { partitionKey: string; operations: number; share: number } {
    let best = { partitionKey: '', operations: 0 };
    for (const [partitionKey, operations] of this.stats.byPartition)
      if (operations > best.operations) best = { partitionKey, operations };
    return { ...best, share: this.stats.operations > 0 ? best.operations / this.stats.operations : 0 };
  }

  resetStats(): void {
    this.stats.requests = 0;
    this.stats.operations = 0;
    this.stats.waitedMs = 0;
    this.stats.byPartition.clear();
  }

  /** Wait before sending one request, so partition and account stay within their targets. */
  async pace(request: Pick<PipelineRequest, 'url' | 'body'>): Promise<void> {
    const { partitionKey, operations } = describeTableRequest(request);
    this.stats.requests++;
    this.stats.operations += operations;
    this.stats.byPartition.set(partitionKey, (this.stats.byPartition.get(partitionKey) ?? 0) + operations);
    let bucket = this.partitions.get(partitionKey);
    if (!bucket) {
      bucket = new RateBucket(this.targets.partitionPerSecond, this.now);
      this.partitions.set(partitionKey, bucket);
    }
    const wait = Math.max(bucket.reserve(operations), this.account.reserve(operations));
    const delay = wait + (this.targets.addedLatencyMs ?? 0);
    this.stats.waitedMs += wait;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  }

  /** For TableClient options: `additionalPolicies: [{ policy: pacer.policy(), position: 'perRetry' }]`. */
  policy(): PipelinePolicy {
    return {
      name: 'driftwardenTablePacing',
      sendRequest: async (request, next) => {
        await this.pace(request);
        return next(request);
      },
    };
  }
}
