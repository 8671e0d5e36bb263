import type { Observation, PendingTrial } from '../core/types.js';

/**
 * How a BO step accounts for running trials. `suggest` uses {@link DEFAULT_PENDING_HANDLING};
 * the other combinations exist for the ablation in benchmarks/pending-ablation.ts. Running
 * configurations are never suggested again, whatever the handling.
 */
export interface PendingHandling {
  /** Condition the objective GP on running configurations at its posterior mean (kriging believer). */
  readonly believe: boolean;
  /**
   * Which running trials' proper prefixes join the prefix pool (priced at ε per stage like cached
   * ones): all of them, only those started after warm-up (`'bo'`, mirroring the pool's rule for
   * finished trials), or none.
   */
  readonly sharePrefixes: 'all' | 'bo' | 'none';
  /**
   * The incumbent f* of EI: the best observed value, or the best of the observed and the believed
   * values (the kriging believer's own rule: a fantasy is treated as an observation).
   */
  readonly incumbent: 'observed' | 'believed';
  /**
   * Budget used in the cost-cooling η: what finished trials were charged, or that plus the
   * predicted cost of the running trials (already committed).
   */
  readonly eta: 'spent' | 'committed';
}

/**
 * Kriging believer (f* = best observed) + prefixes of running post-warm-up trials + η from the
 * committed budget: the best final objective on both paper specs of the variants measured by
 * benchmarks/pending-ablation.ts (docs/optimizer.md, "Pending trials").
 */
export const DEFAULT_PENDING_HANDLING: PendingHandling = Object.freeze({
  believe: true,
  sharePrefixes: 'bo',
  incumbent: 'observed',
  eta: 'committed',
});

/**
 * The running trials the optimizer chose (phase `bo`): those whose prefixes join the pool under
 * `sharePrefixes: 'bo'`. A trial without a phase (a request from before it existed) is inferred by
 * {@link runningWarmupCount}.
 */
export function runningBoTrials(
  history: readonly Observation[],
  pending: readonly PendingTrial[],
  warmup: number,
): PendingTrial[] {
  if (pending.every((trial) => trial.phase !== undefined)) return pending.filter((trial) => trial.phase === 'bo');
  return pending.slice(runningWarmupCount(history, pending, warmup));
}

/**
 * How many of the running trials (in start order) are warm-up trials, inferred from counts alone:
 * the first min(k, warmup) − (finished warm-up trials) of them, k = trials started so far (warm-up
 * trials start before any other). Exact unless trials were enqueued beyond the warm-up or
 * mid-study, which is why requests now carry each running trial's phase.
 */
export function runningWarmupCount(
  history: readonly Observation[],
  pending: readonly PendingTrial[],
  warmup: number,
): number {
  let finished = 0;
  for (const obs of history) if (obs.phase === 'warmup') finished++;
  const started = Math.min(history.length + pending.length, warmup);
  return Math.max(0, Math.min(pending.length, started - finished));
}
