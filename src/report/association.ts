/**
 * How strongly one parameter goes with the objective, one parameter at a time, on ranks (so a
 * monotone transform of either side, a log-scaled parameter for one, changes nothing):
 *   - numeric parameter x, objective y: Spearman's ρ, the Pearson correlation of rank(x) and
 *     rank(y) with ties given their average rank; reported as |ρ| with its sign kept;
 *   - categorical parameter with groups g: the correlation ratio η of the objective's ranks,
 *     η² = Σ_g n_g (r̄_g − r̄)² / Σ_i (r_i − r̄)² (the share of rank variance between groups).
 * Both lie in [0, 1] in magnitude. This is a marginal screen, not fANOVA: interactions between
 * parameters and effects that are not monotone (ρ) are not seen.
 */

/** Ranks 1..n in the order of `values`, ties sharing their average rank. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.value === order[start]!.value) end++;
    // Positions start..end (0-based) hold ranks start+1..end+1: their mean.
    const rank = (start + end + 2) / 2;
    for (let at = start; at <= end; at++) ranks[order[at]!.index] = rank;
    start = end + 1;
  }
  return ranks;
}

function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  const mx = x.reduce((sum, value) => sum + value, 0) / n;
  const my = y.reduce((sum, value) => sum + value, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Spearman's rank correlation of `x` and `y` (same length); `null` with fewer than 3 pairs or
 * when either side is constant (no ranking to correlate).
 */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  if (x.length !== y.length) throw new RangeError('x and y must have the same length');
  if (x.length < 3) return null;
  return pearson(averageRanks(x), averageRanks(y));
}

/**
 * The correlation ratio η of `y`'s ranks over the groups `groups` (same length); `null` with
 * fewer than 3 values, fewer than 2 groups, or a constant `y`.
 */
export function rankCorrelationRatio(groups: readonly string[], y: readonly number[]): number | null {
  if (groups.length !== y.length) throw new RangeError('groups and y must have the same length');
  if (y.length < 3) return null;
  const ranks = averageRanks(y);
  const mean = ranks.reduce((sum, rank) => sum + rank, 0) / ranks.length;
  const byGroup = new Map<string, { sum: number; count: number }>();
  groups.forEach((group, index) => {
    const entry = byGroup.get(group) ?? { sum: 0, count: 0 };
    entry.sum += ranks[index]!;
    entry.count += 1;
    byGroup.set(group, entry);
  });
  if (byGroup.size < 2) return null;
  const total = ranks.reduce((sum, rank) => sum + (rank - mean) ** 2, 0);
  if (total === 0) return null;
  let between = 0;
  for (const { sum, count } of byGroup.values()) between += count * (sum / count - mean) ** 2;
  return Math.sqrt(Math.min(1, between / total));
}
