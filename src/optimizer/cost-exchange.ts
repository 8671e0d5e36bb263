import type { Observation } from '../core/types.js';

/**
 * The study's exchange rate between objective and cost units: one standard deviation of the
 * observed y' per mean trial charge. PBGI (Xie et al. 2024) and cost-aware stopping compare an
 * expected improvement (objective units) with a weighted cost, and the papers set their weights for
 * objectives and costs of order one; memotune's studies have objectives and costs on any scale, so
 * both weights are set on this normalized scale: PBGI's λ and the default stopping weight are
 * fractions of a standard deviation per average trial (docs/benchmarks.md, "PBGI and cost-aware
 * stopping"). The standard deviation includes the warm-up's points; it is 1 when every y' is equal,
 * and the mean charge is 1 when nothing was charged.
 */
export function objectivePerCost(ys: readonly number[], history: readonly Observation[]): number {
  let mean = 0;
  for (const y of ys) mean += y;
  mean /= ys.length;
  let squares = 0;
  for (const y of ys) squares += (y - mean) * (y - mean);
  const sd = Math.sqrt(squares / ys.length);
  let charged = 0;
  for (const obs of history) charged += obs.chargedCost;
  const meanCharge = charged / history.length;
  return (sd > 0 && Number.isFinite(sd) ? sd : 1) / (meanCharge > 0 && Number.isFinite(meanCharge) ? meanCharge : 1);
}
