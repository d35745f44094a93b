import { randomUUID } from 'node:crypto';
import type { EvidenceInput } from '../evidence/types.js';
import { toError } from '../util/errors.js';
import {
  type DecisionContext,
  InProgressError,
  type Intent,
  type IntentStore,
  type IntentWrite,
} from './types.js';

/**
 * The write-intent lease that keeps "no remediation without its record": before any ARM write the
 * engine claims an intent (the before-state of every planned write) under the idempotency prefix
 * + resource id; only then does it write ARM, append evidence and close the intent. A lease that
 * runs out marks a holder presumed dead, whose intent the next attempt takes over (recovery.ts).
 * If the intent cannot be written, nothing has touched ARM yet and the error propagates.
 */

export interface WriteIntentLeaseOptions {
  intents: IntentStore;
  clock: () => Date;
  log: (line: string) => void;
  /** how long an intent's holder is presumed alive */
  leaseMs: number;
  /** how long a duplicate delivery waits for an in-flight one before failing (redelivery) */
  inProgressWaitMs: number;
}

type Prefix = Pick<DecisionContext, 'idempotencyPrefix' | 'runId'>;

/**
 * What earlier attempts left: nothing, an unfinished intent of this run to recover from,
 * 'duplicate' (this run already handled it), or `completed`: an earlier run of the same sweep id
 * wrote this resource and recorded it — re-evaluate, record nothing if nothing needs writing
 * (that run's records stand), write and record anew if the drift is back.
 */
export type Prior = Intent | null | 'duplicate' | { completed: Intent };

export class WriteIntentLeases {
  /** intents this process opened and has not closed yet (sweep: closed by the engine's record()) */
  private readonly open = new Map<string, { prefix: string; resourceId: string; monthKey: string | null }>();

  constructor(private readonly options: WriteIntentLeaseOptions) {}

  /**
   * `<prefix>[:<run id>]|<resource>`: an event id is one change, so its prefix is its run; a sweep
   * id is a month, and each run of it (a timer firing, a CLI re-run; not a queue redelivery) has
   * its own intents — a re-run never mistakes the last run's done intent for its own work.
   */
  keyOf(ctx: Prefix, resourceId: string): string {
    return `${ctx.idempotencyPrefix}${ctx.runId ? `:${ctx.runId}` : ''}|${resourceId.toLowerCase()}`;
  }

  /**
   * The intent left by an earlier attempt with this prefix (to recover from; held open from now
   * on), null when there is none, or 'duplicate' when that attempt completed. Waits for an
   * in-flight holder to finish. A dry run touches no intent.
   */
  async prior(ctx: DecisionContext, resourceId: string): Promise<Prior> {
    if (ctx.dryRun) return null;
    const key = this.keyOf(ctx, resourceId);
    const deadline = Date.now() + this.options.inProgressWaitMs;
    for (;;) {
      const intent = await this.options.intents.get(key);
      if (intent === null) {
        if (!ctx.runId) return null;
        const earlier = await this.options.intents.get(this.monthKeyOf(ctx, resourceId));
        return earlier?.state === 'done' ? { completed: earlier } : null;
      }
      if (intent.state === 'done') {
        this.options.log(`duplicate: ${key} was already handled; nothing to do`);
        return 'duplicate';
      }
      if (!this.leaseActive(intent)) {
        // an earlier attempt died or failed after announcing writes: recover from its intent
        this.hold(ctx, key, resourceId);
        return intent;
      }
      if (Date.now() >= deadline) throw new InProgressError(key);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Stores the intent announcing `writes` with a fresh lease, replacing `held` (the version read
   * or last stored) or inserting when null. Throws InProgressError when another holder got there first.
   */
  async claim(
    ctx: DecisionContext,
    resourceId: string,
    writes: IntentWrite[],
    held: Intent | null,
  ): Promise<Intent> {
    const key = this.keyOf(ctx, resourceId);
    const intent: Intent = {
      key,
      resourceId,
      state: 'pending',
      leaseUntil: new Date(this.options.clock().getTime() + this.options.leaseMs).toISOString(),
      writes,
      // a recovered (or narrowed) intent keeps its run: its records keep their keys
      writeRun: held?.writeRun ?? randomUUID(),
    };
    const stored = await this.options.intents.claim(intent, held);
    if (!stored) throw new InProgressError(key);
    this.hold(ctx, key, resourceId);
    return stored;
  }

  /** The run-independent key a completed run leaves behind (see Prior `completed`). */
  private monthKeyOf(ctx: Prefix, resourceId: string): string {
    return `${ctx.idempotencyPrefix}|${resourceId.toLowerCase()}`;
  }

  /** Keys of the open intents these inputs record (optionally only those under one prefix). */
  recordedBy(inputs: EvidenceInput[], prefix: string | undefined): string[] {
    const keys: string[] = [];
    for (const [key, open] of this.open) {
      if (prefix !== undefined && open.prefix !== prefix) continue;
      const matches = inputs.some(
        (input) =>
          input.resourceId.toLowerCase() === open.resourceId &&
          input.idempotencyKey.startsWith(`${open.prefix}:`),
      );
      if (matches) keys.push(key);
    }
    return keys;
  }

  isOpen(key: string): boolean {
    return this.open.has(key);
  }

  /** Marks the intent done (its evidence is stored): later deliveries of the key skip. */
  async close(key: string): Promise<void> {
    const open = this.open.get(key);
    this.open.delete(key);
    try {
      await this.options.intents.complete(key);
      if (open?.monthKey) {
        // insert only: the first run to write the resource leaves it; later runs find it done
        await this.options.intents.claim(
          {
            key: open.monthKey,
            resourceId: open.resourceId,
            state: 'done',
            leaseUntil: new Date(0).toISOString(),
            writes: [],
          },
          null,
        );
      }
    } catch (error) {
      // the evidence is stored: a redelivery would only find the resource compliant and record nothing new
      this.options.log(`warning: could not mark intent ${key} done: ${toError(error).message}`);
    }
  }

  /** Ends the lease now so a retry can take over at once (best effort: otherwise it expires). */
  async release(key: string): Promise<void> {
    try {
      await this.options.intents.release(key);
    } catch (error) {
      this.options.log(
        `warning: could not release intent ${key} (its lease will expire): ${toError(error).message}`,
      );
    }
  }

  private hold(ctx: Prefix, key: string, resourceId: string): void {
    this.open.set(key, {
      prefix: ctx.idempotencyPrefix,
      resourceId: resourceId.toLowerCase(),
      monthKey: ctx.runId ? this.monthKeyOf(ctx, resourceId) : null,
    });
  }

  private leaseActive(intent: Intent): boolean {
    return Date.parse(intent.leaseUntil) > this.options.clock().getTime();
  }
}
