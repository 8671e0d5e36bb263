import type { BenchRun } from './runner.js';

/** Per-run figures of the paper's comparison. */
export interface RunMetrics {
  /** Configurations evaluated after warm-up within the budget (the paper's "candidates"). */
  readonly evaluations: number;
  /** Post-warm-up evaluations that reused at least one cached stage (δ > 0). */
  readonly reused: number;
  /** Post-warm-up evaluation counts by δ (index = δ). */
  readonly byDelta: readonly number[];
  /** Best objective over the warm-up trials. */
  readonly warmupBest: number;
  /** Best objective when the budget ran out. */
  readonly finalBest: number;
  /** finalBest − warmupBest. */
  readonly improvement: number;
  /** Cost spent by the warm-up trials (B₀). */
  readonly warmupCost: number;
  /** Total cost charged (≥ the budget unless truncated). */
  readonly totalCost: number;
  /** Mean wall time of a post-warm-up `suggest` call, in milliseconds (0 when there was none). */
  readonly optimizerMsPerIteration: number;
}

/**
 * Computes a run's metrics. The first `warmup` trials are the warm-up, whatever phase the
 * optimizer reported, so every method is measured from the same point.
 *
 * @throws RangeError when the run has no warm-up trial.
 */
export function runMetrics(run: BenchRun, warmup: number, stageCount: number): RunMetrics {
  const warm = run.trials.slice(0, warmup);
  const post = run.trials.slice(warmup);
  if (warm.length === 0) throw new RangeError('run has no warm-up trial');
  // A failed trial (objective null) is best at nothing.
  const warmupBest = Math.max(...objectivesOf(warm));
  const finalBest = Math.max(warmupBest, ...objectivesOf(post));
  const byDelta = new Array<number>(stageCount).fill(0);
  let optimizerMs = 0;
  for (const trial of post) {
    byDelta[trial.delta] = (byDelta[trial.delta] ?? 0) + 1;
    optimizerMs += trial.optimizerMs;
  }
  return {
    evaluations: post.length,
    reused: post.filter((t) => t.delta > 0).length,
    byDelta,
    warmupBest,
    finalBest,
    improvement: finalBest - warmupBest,
    warmupCost: warm.reduce((sum, t) => sum + t.chargedCost, 0),
    totalCost: run.trials.reduce((sum, t) => sum + t.chargedCost, 0),
    optimizerMsPerIteration: post.length === 0 ? 0 : optimizerMs / post.length,
  };
}

/** The objectives of the trials that did not fail. */
function objectivesOf(trials: BenchRun['trials']): number[] {
  const out: number[] = [];
  for (const trial of trials) if (trial.objective !== null) out.push(trial.objective);
  return out;
}
