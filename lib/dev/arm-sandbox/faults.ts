/**
 * Deterministic fault injection: a seeded PRNG decides which requests fail and how, so a
 * reliability test that fails can be replayed exactly.
 */
import { seededRandom } from '../random.js';
import type { FaultKind, FaultSettings } from './types.js';

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
