import { canonicalJson } from '../core/canonical-json.js';
import type { Configuration } from '../core/types.js';

/** What the prefix memo knows about a configuration before it runs. */
export interface PrefixLookup {
  /** δ: the longest already-computed proper prefix (0..S−1). */
  readonly delta: number;
  /** Full cost of each of the first δ stages, as measured when that output was first computed. */
  readonly cachedCosts: readonly number[];
  /** When each of the first δ stages' outputs is (or was) committed, on the runner's simulated clock. */
  readonly readyAt: readonly number[];
}

interface Entry {
  readonly cost: number;
  readonly readyAt: number;
}

/**
 * The set of computed stage outputs of one study, keyed by the canonical JSON of the exact raw
 * prefix values (stages 1..k). Only proper prefixes are kept: the last stage is never memoized,
 * so even an exact duplicate configuration re-runs its last stage (δ = S−1). A prefix is recorded
 * when the trial computing it starts, with the simulated time its output will be committed: a
 * trial started before then shares it by waiting for it (single flight).
 */
export class PrefixMemo {
  readonly #entries = new Map<string, Entry>();

  constructor(readonly stageCount: number) {
    if (!Number.isInteger(stageCount) || stageCount < 1) throw new RangeError('stageCount must be a positive integer');
  }

  /** Number of stored prefix outputs. */
  get size(): number {
    return this.#entries.size;
  }

  /** Finds δ for a configuration and the stored costs of its cached stages. */
  lookup(config: Configuration): PrefixLookup {
    this.#check(config);
    const cachedCosts: number[] = [];
    const readyAt: number[] = [];
    for (let k = 1; k < this.stageCount; k++) {
      const entry = this.#entries.get(canonicalJson(config.slice(0, k)));
      if (entry === undefined) break;
      cachedCosts.push(entry.cost);
      readyAt.push(entry.readyAt);
    }
    return { delta: cachedCosts.length, cachedCosts, readyAt };
  }

  /**
   * Stores every proper prefix of a configuration that runs, keeping entries already stored.
   * @param readyAt when each stage's output is committed (default: already, time 0)
   * @param computed how many leading stages produce an output (default all; a trial whose stage s
   *   fails computes s of them)
   */
  record(
    config: Configuration,
    stageCosts: readonly number[],
    readyAt?: readonly number[],
    computed: number = this.stageCount,
  ): void {
    this.#check(config);
    if (stageCosts.length !== this.stageCount) throw new RangeError('stageCosts must have one entry per stage');
    if (readyAt !== undefined && readyAt.length !== this.stageCount)
      throw new RangeError('readyAt must have one entry per stage');
    for (let k = 1; k < this.stageCount && k <= computed; k++) {
      const key = canonicalJson(config.slice(0, k));
      if (!this.#entries.has(key))
        this.#entries.set(key, { cost: stageCosts[k - 1] as number, readyAt: readyAt?.[k - 1] ?? 0 });
    }
  }

  /**
   * Sets when the prefixes of `config` that were recorded as not yet scheduled (ready at ∞: their
   * trial was waiting for a shared prefix itself) will be committed, now that their trial runs.
   */
  schedule(config: Configuration, readyAt: readonly number[]): void {
    this.#check(config);
    for (let k = 1; k < this.stageCount; k++) {
      const key = canonicalJson(config.slice(0, k));
      const entry = this.#entries.get(key);
      if (entry !== undefined && entry.readyAt === Number.POSITIVE_INFINITY)
        this.#entries.set(key, { ...entry, readyAt: readyAt[k - 1] as number });
    }
  }

  #check(config: Configuration): void {
    if (config.length !== this.stageCount) {
      throw new RangeError(`config has ${config.length} stages, pipeline has ${this.stageCount}`);
    }
  }
}
