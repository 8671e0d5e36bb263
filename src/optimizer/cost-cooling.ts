import type { Observation } from '../core/types.js';

/**
 * Cost-cooling exponent η = (B − B_used)/(B − B_0), clamped to [0, 1]; 0 when B ≤ B_0 (the
 * warm-up alone used the whole budget).
 */
export function costExponent(history: readonly Observation[], total: number, spent: number): number {
  let warmupCost = 0;
  for (const obs of history) if (obs.phase === 'warmup') warmupCost += obs.chargedCost;
  const span = total - warmupCost;
  if (!(span > 0)) return 0;
  const eta = (total - spent) / span;
  return eta < 0 ? 0 : eta > 1 ? 1 : eta;
}
