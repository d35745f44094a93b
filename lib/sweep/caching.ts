import type { TableClient } from '@azure/data-tables';
import type { ControlException } from '../controls/types.js';
import type { Approval, ExceptionStore, NewException, RevokeOptions } from '../exceptions/types.js';
import type { Intent, IntentStore } from '../remediation/types.js';
import { isRestError } from '../util/errors.js';

/**
 * Sweep-scale shortcuts around two per-resource table reads the remediation engine makes. The
 * engine stays the same code as the event path; only its stores are wrapped.
 */

/**
 * Exceptions in force, read once per `ttlMs` instead of once per resource (20,000 resources would
 * otherwise mean 20,000 identical table queries). Approving or revoking through this store
 * invalidates at once; an exception approved elsewhere is seen within `ttlMs`.
 */
export class CachedExceptionStore implements ExceptionStore {
  private cached: { at: number; value: Promise<ControlException[]> } | null = null;
  // verify (judged), the honoured view and the expiry records pass through: the app hands this
  // store out as app.exceptions(), and without them `driftwarden verify` would skip the rows.
  readonly judged?: ExceptionStore['judged'];
  readonly honoured?: ExceptionStore['honoured'];
  readonly recordExpiries?: ExceptionStore['recordExpiries'];

  constructor(
    private readonly inner: ExceptionStore,
    private readonly ttlMs = 60_000,
    private readonly clock: () => number = () => Date.now(),
  ) {
    const { judged, honoured, recordExpiries } = inner;
    if (judged) this.judged = judged.bind(inner);
    if (honoured) this.honoured = honoured.bind(inner);
    if (recordExpiries) this.recordExpiries = recordExpiries.bind(inner);
  }

  async active(now: Date): Promise<ControlException[]> {
    const at = this.clock();
    if (!this.cached || at - this.cached.at > this.ttlMs) {
      // only rows that match their evidence records: a forged or edited row is never honoured
      const value = this.inner.honoured ? this.inner.honoured() : this.inner.list();
      this.cached = { at, value };
      value.catch(() => {
        if (this.cached?.value === value) this.cached = null;
      });
    }
    // filter the registry snapshot at the caller's `now`, as the table store's active() does
    const t = now.getTime();
    return (await this.cached.value).filter(
      (e) => !e.revokedOn && e.state !== 'requested' && Date.parse(e.expiresOn) > t,
    );
  }

  /** Drops the cached view and reads again (the engine's check before it reverts anything). */
  activeUncached(now: Date): Promise<ControlException[]> {
    this.cached = null;
    return this.active(now);
  }

  list(): Promise<ControlException[]> {
    return this.inner.list();
  }

  get(id: string): Promise<ControlException | null> {
    return this.inner.get(id);
  }

  // Invalidated again once the write has landed: a read that started while it was in flight may
  // hold the old registry, and must not be served for the next ttlMs.
  async create(input: NewException): Promise<ControlException> {
    this.cached = null;
    try {
      return await this.inner.create(input);
    } finally {
      this.cached = null;
    }
  }

  async revoke(id: string, revokedBy: string, options?: RevokeOptions): Promise<ControlException> {
    this.cached = null;
    try {
      return await this.inner.revoke(id, revokedBy, options);
    } finally {
      this.cached = null;
    }
  }

  async approve(id: string, approval: Approval): Promise<ControlException> {
    this.cached = null;
    try {
      return await this.inner.approve(id, approval);
    } finally {
      this.cached = null;
    }
  }
}

/**
 * The engine asks for a write intent under `sweep:<id>|<resource>` before deciding each resource;
 * almost always there is none. This store lists the intents of a sweep prefix once (one query)
 * and answers "none" for every other key of that prefix without a read. Keys it has seen, or
 * that this process claims, go to the table as usual; a concurrent duplicate worker is still
 * stopped by the table's conditional claim.
 */
export class PrefetchedIntentStore implements IntentStore {
  private readonly known = new Map<string, Promise<Set<string>>>();

  constructor(
    private readonly inner: IntentStore,
    private readonly table: TableClient,
  ) {}

  private prefixOf(key: string): string | null {
    return key.startsWith('sweep:') && key.includes('|') ? key.slice(0, key.indexOf('|') + 1) : null;
  }

  private keysFor(prefix: string): Promise<Set<string>> {
    let keys = this.known.get(prefix);
    if (!keys) {
      keys = (async () => {
        const found = new Set<string>();
        try {
          // the key is a plain property (PartitionKey/RowKey are hashes): a filtered scan, once per sweep
          const filter = `key ge '${prefix.replace(/'/g, "''")}' and key lt '${prefix.slice(0, -1).replace(/'/g, "''")}}'`;
          for await (const row of this.table.listEntities<{ key: string }>({
            queryOptions: { filter, select: ['key'] },
          })) {
            found.add(String(row.key));
          }
        } catch (error) {
          if (!(isRestError(error) && error.statusCode === 404)) throw error; // no table yet: no intents
        }
        return found;
      })();
      keys.catch(() => this.known.delete(prefix));
      this.known.set(prefix, keys);
    }
    return keys;
  }

  async get(key: string): Promise<Intent | null> {
    const prefix = this.prefixOf(key);
    if (prefix && !(await this.keysFor(prefix)).has(key)) return null;
    return this.inner.get(key);
  }

  async claim(intent: Intent, expected: Intent | null): Promise<Intent | null> {
    const prefix = this.prefixOf(intent.key);
    if (prefix) (await this.keysFor(prefix)).add(intent.key);
    return this.inner.claim(intent, expected);
  }

  complete(key: string): Promise<void> {
    return this.inner.complete(key);
  }

  release(key: string): Promise<void> {
    return this.inner.release(key);
  }

  markOwnWrite(resourceId: string, until: Date): Promise<void> {
    return this.inner.markOwnWrite(resourceId, until);
  }

  takeOwnWrite(resourceId: string, now: Date): Promise<boolean> {
    return this.inner.takeOwnWrite(resourceId, now);
  }

  clearOwnWrite(resourceId: string): Promise<void> {
    return this.inner.clearOwnWrite(resourceId);
  }
}
