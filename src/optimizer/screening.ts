/**
 * Above this many successful trials the acquisition search (|P| × R raw evaluations and the
 * local refinements, O(n²) each) runs on a screening GP: the same hyperparameters conditioned on
 * the best half of this many trials plus an evenly spaced selection of the others. Every refined
 * candidate is then re-scored with the full GP, and the winner is chosen on those exact scores.
 */
export const SCREEN_MAX_POINTS = 256;

/**
 * How much of the history a step's objective model uses. `suggest` uses
 * {@link SHIPPED_DATA_LIMITS}; benchmarks/suggest-speed.ts also times {@link FULL_DATA} (every
 * successful trial in the hyperparameter fit and in the acquisition search, as Optuna's GPSampler
 * does) and benchmarks/suggest-subset-quality.ts compares the two paths' final best.
 */
export interface DataLimits {
  /** Above this many successful trials the acquisition search runs on a screening GP. */
  readonly screenPoints: number;
  /** Hyperparameters are fitted on at most this many trials (undefined: the GP's default). */
  readonly fitPoints?: number;
}
export const SHIPPED_DATA_LIMITS: DataLimits = { screenPoints: SCREEN_MAX_POINTS };
export const FULL_DATA: DataLimits = { screenPoints: Number.MAX_SAFE_INTEGER, fitPoints: Number.MAX_SAFE_INTEGER };

/** Rows kept by the screening GP: the top ⌈limit/2⌉ by y, then evenly spaced others. */
export function screeningSubset(ys: readonly number[], limit: number): number[] {
  if (ys.length <= limit) return ys.map((_, i) => i);
  const byValue = ys.map((_, i) => i).sort((p, q) => ys[q]! - ys[p]! || p - q);
  const top = byValue.slice(0, Math.ceil(limit / 2));
  const rest = byValue.slice(top.length).sort((p, q) => p - q);
  const others = limit - top.length;
  const spaced = Array.from({ length: others }, (_, k) => rest[Math.floor((k * rest.length) / others)]!);
  return [...top, ...spaced].sort((p, q) => p - q);
}
