/**
 * Above this many successful trials the acquisition search (|P| × R raw evaluations and the
 * local refinements, O(n²) each) runs on a screening GP: the same hyperparameters conditioned on
 * the best half of this many trials plus an evenly spaced selection of the others. Every refined
 * candidate is then re-scored with the full GP, and the winner is chosen on those exact scores.
 */
export const SCREEN_MAX_POINTS = 256;

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
