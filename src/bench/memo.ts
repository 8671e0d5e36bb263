import { canonicalJson } from '../core/canonical-json.js';
import type { Configuration } from '../core/types.js';

/** What the prefix memo knows about a configuration before it runs. */
export interface PrefixLookup {
  /** δ: the longest already-computed proper prefix (0..S−1). */
  readonly delta: number;
  /** Full cost of each of the first δ stages, as measured when that output was first computed. */
  readonly cachedCosts: readonly number[];
}

/**
 * The set of computed stage outputs of one study, keyed by the canonical JSON of the exact raw
 * prefix values (stages 1..k). Only proper prefixes are kept: the last stage is never memoized,
 * so even an exact duplicate configuration re-runs its last stage (δ = S−1).
 */
export class PrefixMemo {
  readonly #costs = new Map<string, number>();

  constructor(readonly stageCount: number) {
    if (!Number.isInteger(stageCount) || stageCount < 1) throw new RangeError('stageCount must be a positive integer');
  }

  /** Number of stored prefix outputs. */
  get size(): number {
    return this.#costs.size;
  }

  /** Finds δ for a configuration and the stored costs of its cached stages. */
  lookup(config: Configuration): PrefixLookup {
    this.#check(config);
    const cachedCosts: number[] = [];
    for (let k = 1; k < this.stageCount; k++) {
      const cost = this.#costs.get(canonicalJson(config.slice(0, k)));
      if (cost === undefined) break;
      cachedCosts.push(cost);
    }
    return { delta: cachedCosts.length, cachedCosts };
  }

  /** Stores every proper prefix of a configuration that ran, keeping costs already stored. */
  record(config: Configuration, stageCosts: readonly number[]): void {
    this.#check(config);
    if (stageCosts.length !== this.stageCount) throw new RangeError('stageCosts must have one entry per stage');
    for (let k = 1; k < this.stageCount; k++) {
      const key = canonicalJson(config.slice(0, k));
      if (!this.#costs.has(key)) this.#costs.set(key, stageCosts[k - 1] as number);
    }
  }

  #check(config: Configuration): void {
    if (config.length !== this.stageCount) {
      throw new RangeError(`config has ${config.length} stages, pipeline has ${this.stageCount}`);
    }
  }
}
