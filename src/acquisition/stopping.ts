/**
 * Cost-aware stopping for Bayesian optimization (Xie, Cai, Terenin, Frazier & Scully, ICML 2026,
 * arXiv 2507.12453), for MAXIMIZATION of y' = ±objective.
 *
 * The target is the cost-adjusted simple regret: what the best observed value misses of the
 * optimum plus everything spent, with costs converted into objective units by a cost weight λ
 * (objective units per cost unit: the exchange rate the user accepts). Before each evaluation the
 * rule asks whether any candidate is still worth its cost in the Pandora's Box sense:
 *
 *   stop  ⇔  max_x α_PBGI(x; λ) ≤ y*_t,
 *
 * α_PBGI(x; λ) the Gittins index of pbgi.ts with the cost λ·c(x) and y*_t the best observed value.
 * Because EI is decreasing in its threshold, α(x; λ) ≤ y* ⇔ EI(x; y*) ≤ λ·c(x), so the same rule
 * reads max_x EI(x; y*)/c(x) ≤ λ — the LogEIPC form — and pairs with either acquisition function;
 * the paper bounds the expected cost-adjusted simple regret of the resulting policy for both. With
 * modelled (random) costs, c(x) is the expected cost (pbgi.ts, `expectedCost`), and for a
 * memoizing pipeline the cost of a candidate that reuses a cached prefix is c_δ(x).
 *
 * These are the decisions only, with no imports (the study workflow's loop can call them without
 * pulling in the numeric code): the optimizer supplies the largest index (pbgi.ts,
 * `bestGittinsIndex`) or the largest log EI per cost over its candidates, the loop halts on `true`.
 */
/**
 * The stopping decision from the best index: true when no candidate's index exceeds the
 * incumbent. No decision without evidence: a NaN index, or an incumbent that is not a number
 * (nothing has succeeded yet), never stops; an index of −∞ (no candidate left) does.
 *
 * @param bestIndex - max over the candidates of α_PBGI(x; λ) (costs λ·c(x) in objective units).
 * @param incumbent - the best observed value y*_t, in the same units and sign convention.
 */
export function costAwareStop(bestIndex: number, incumbent: number): boolean {
  if (Number.isNaN(bestIndex) || Number.isNaN(incumbent) || incumbent === Number.NEGATIVE_INFINITY) return false;
  return bestIndex <= incumbent;
}

/**
 * The same decision in its LogEIPC form: stop when max_x log(EI(x; y*)/c(x)) ≤ log λ (costs c in
 * cost units, λ in objective units per cost unit). NaN never stops.
 */
export function costAwareStopFromLogEipc(maxLogEipc: number, costWeight: number): boolean {
  if (Number.isNaN(maxLogEipc) || !(costWeight > 0)) return false;
  return maxLogEipc <= Math.log(costWeight);
}
