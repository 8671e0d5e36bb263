import { createRng } from './rng.js';

/** Arithmetic mean; `NaN` for an empty list. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Standard error of the mean (sample standard deviation / √n); 0 for fewer than two values. */
export function standardError(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  return Math.sqrt(ss / (n - 1) / n);
}

/** Linear-interpolated quantile of unsorted values, q ∈ [0, 1]. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  return a + ((sorted[hi] as number) - a) * (pos - lo);
}

/** A point estimate with a percentile bootstrap interval. */
export interface Interval {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
}

export interface BootstrapOptions {
  /** @default 2000 */
  readonly resamples?: number;
  /** Two-sided coverage. @default 0.95 */
  readonly level?: number;
  /** @default 0 */
  readonly seed?: number;
}

/**
 * Paired percentile bootstrap over seeds: `statistic` receives a list of seed indices (drawn
 * with replacement, the same draw for every method it compares) and returns a number.
 * Non-finite resampled values (e.g. a zero denominator) are dropped from the interval.
 *
 * @throws RangeError when there are no seeds.
 */
export function pairedBootstrap(
  seedCount: number,
  statistic: (indices: readonly number[]) => number,
  options: BootstrapOptions = {},
): Interval {
  if (seedCount < 1) throw new RangeError('bootstrap needs at least one seed');
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const rng = createRng(options.seed ?? 0);
  const identity = Array.from({ length: seedCount }, (_, i) => i);
  const draws: number[] = [];
  const indices = new Array<number>(seedCount);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < seedCount; i++) indices[i] = rng.int(seedCount);
    const value = statistic(indices);
    if (Number.isFinite(value)) draws.push(value);
  }
  const alpha = (1 - level) / 2;
  return { estimate: statistic(identity), low: quantile(draws, alpha), high: quantile(draws, 1 - alpha) };
}
