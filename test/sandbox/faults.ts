/**
 * Deterministic fault injection: a seeded PRNG decides which requests fail and how, so a
 * reliability test that fails can be replayed exactly.
 */
import type { FaultKind, FaultSettings } from './types.js';

/** mulberry32: tiny, fast, good enough for test randomness; same seed → same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALL_KINDS: FaultKind[] = ['500', '409', '429', 'reset'];

export class FaultInjector {
  private random: () => number;
  private settings: FaultSettings;

  constructor(settings: FaultSettings | undefined, defaultSeed: number) {
    this.settings = settings ?? { rate: 0 };
    this.random = seededRandom(this.settings.seed ?? defaultSeed);
  }

  configure(settings: FaultSettings | undefined, defaultSeed: number): void {
    this.settings = settings ?? { rate: 0 };
    this.random = seededRandom(this.settings.seed ?? defaultSeed);
  }

  /** The fault to inject for this request, if any. */
  draw(): FaultKind | undefined {
    if (this.settings.rate <= 0) return undefined;
    if (this.random() >= this.settings.rate) return undefined;
    const kinds = this.settings.kinds && this.settings.kinds.length > 0 ? this.settings.kinds : ALL_KINDS;
    return kinds[Math.floor(this.random() * kinds.length)];
  }
}
