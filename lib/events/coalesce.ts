/**
 * Per-resource coalescing of events in one process. Events are hints ("this resource changed"):
 * the engine re-reads the resource anyway, so N events for one resource arriving while a re-read
 * is in flight can all be answered by ONE later re-read (an edit made after the in-flight read
 * started may not be in it, so they cannot share that one). A burst of edits to one NSG thus costs
 * at most two rounds (the one running, one follower for everything that arrived meanwhile): two
 * reads and at most one write, instead of a read (+ write) per event against the subscription's
 * ARM buckets. A follower round is handed every joined item (the caller picks which to act on,
 * e.g. skipping a redelivery already done), and its result or failure is shared: on failure every
 * coalesced invocation fails and Event Grid redelivers each.
 */
export interface CoalesceStats {
  /** rounds actually run */
  rounds: number;
  /** calls answered by another call's round */
  coalesced: number;
}

interface Slot {
  /** the last round started or queued for this key */
  tail: Promise<unknown>;
  /** the queued round new arrivals join (null once it has started), with its items */
  queued: { round: Promise<unknown>; items: unknown[] } | null;
}

export class ResourceCoalescer {
  private readonly slots = new Map<string, Slot>();
  readonly stats: CoalesceStats = { rounds: 0, coalesced: 0 };

  /** Runs `round` for `key` with [item], or adds `item` to the round queued behind the one in flight. */
  run<I, T>(key: string, item: I, round: (items: I[]) => Promise<T>): Promise<T> {
    const existing = this.slots.get(key);
    if (existing?.queued) {
      this.stats.coalesced++;
      existing.queued.items.push(item);
      return existing.queued.round as Promise<T>;
    }
    const slot: Slot = existing ?? { tail: Promise.resolve(), queued: null };
    const previous = slot.tail;
    const items: I[] = [item];
    const mine: Promise<T> = (async () => {
      await previous.then(
        () => undefined,
        () => undefined,
      );
      if (slot.queued?.items === items) slot.queued = null; // started: later arrivals need a later read
      this.stats.rounds++;
      return round(items);
    })();
    slot.tail = mine;
    if (existing)
      slot.queued = { round: mine, items }; // something is in flight: arrivals join us
    else this.slots.set(key, slot);
    const cleanup = () => {
      if (slot.tail === mine && this.slots.get(key) === slot) this.slots.delete(key);
    };
    void mine.then(cleanup, cleanup);
    return mine;
  }

  /** Keys with a round running or queued (for tests and metrics). */
  get active(): number {
    return this.slots.size;
  }
}
