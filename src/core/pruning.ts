/**
 * Pruning: a stage reports intermediate values of the study's objective (`report(step, value)`,
 * e.g. validation accuracy after each epoch) and stops a trial that is doing worse than the
 * trials before it at the same step (`shouldPrune()`, then throw `TrialPruned`), as Optuna's
 * `MedianPruner` does. A pruned trial is charged what it spent; its stage commits nothing.
 *
 * Split by who knows what: the study keeps, per stage and step, a bounded sample of the values
 * its completed trials reported ({@link PruningState}, constant size however many trials) and
 * hands each new trial the median at every step ({@link PruneReference}); the stage's worker,
 * TypeScript or Python, compares the trial's own curve with it locally, with no round trip.
 * The reference is the one a trial started with: trials finishing meanwhile do not move it.
 *
 * Workflow-safe: plain data, no I/O, no clock; the sample's random choices are seeded.
 */
import { hashIntegers } from '../random/prng.js';
import { preview } from './preview.js';
import type { Direction } from './types.js';

/** Values a stage reported, in the order it reported them (steps strictly increasing). */
export interface IntermediateValues {
  readonly steps: readonly number[];
  readonly values: readonly number[];
}

/** What a stage compares its curve with: the median of earlier trials' values at each step. */
export interface PruneReference {
  readonly direction: Direction;
  /** Ascending. */
  readonly steps: readonly number[];
  readonly thresholds: readonly number[];
}

/**
 * The study config's `pruner`. `median` prunes a trial whose best value so far is worse than the
 * median of the completed trials' values at the same step of the same stage, once at least
 * `startupTrials` of them reported that step and from step `warmupSteps` on. `percentile` keeps
 * only trials within the best `percentile` % of those values (Optuna's PercentilePruner: 50 is
 * the median, 25 prunes harder). `none` never prunes (`shouldPrune()` is always false; a stage
 * may still throw `TrialPruned` itself).
 */
export type PrunerSettings =
  | { readonly type: 'median'; readonly startupTrials: number; readonly warmupSteps: number }
  | {
      readonly type: 'percentile';
      /** In (0, 100]: the share of the completed trials' values a trial must stay within. */
      readonly percentile: number;
      readonly startupTrials: number;
      readonly warmupSteps: number;
    }
  | {
      /**
       * Optuna's SuccessiveHalvingPruner (the rule of ASHA, Li et al. 2020): a trial is judged only
       * at its rungs, steps `minResource · reductionFactor^k`, and kept there if its best value so
       * far is within the best 1/`reductionFactor` of the finished trials' values at that step
       * (pruned ones included). Not ASHA: with parallel trials only those finished when it started count.
       */
      readonly type: 'successiveHalving';
      readonly minResource: number;
      readonly reductionFactor: number;
      readonly startupTrials: number;
    }
  | { readonly type: 'none' };

/** Optuna's SuccessiveHalvingPruner defaults: min_resource 1 (its 'auto' needs a finished trial), reduction_factor 4. */
export const defaultSuccessiveHalving = { minResource: 1, reductionFactor: 4, startupTrials: 1 } as const;

/**
 * The pruning rule in one sentence, as the study report states it; a study from before the
 * pruner setting (or one whose plan is unknown) gets the rule in general terms.
 */
export function describePruner(pruner: PrunerSettings | undefined): string {
  if (pruner === undefined)
    return "A trial is pruned when its best value so far falls behind the completed trials' values at the same step (the study's pruner).";
  const from = `once ${pruner.type === 'none' ? 0 : pruner.startupTrials} completed trials reported that step`;
  const warm =
    (pruner.type === 'median' || pruner.type === 'percentile') && pruner.warmupSteps > 0
      ? `, from step ${pruner.warmupSteps} on`
      : '';
  switch (pruner.type) {
    case 'median':
      return `A trial is pruned when its best value so far is worse than the median of the completed trials at the same step (median pruner, ${from}${warm}).`;
    case 'percentile':
      return `A trial is pruned when its best value so far is outside the best ${pruner.percentile} % of the completed trials' values at the same step (percentile pruner, ${from}${warm}).`;
    case 'successiveHalving':
      return `A trial is pruned at steps ${pruner.minResource}, ${pruner.minResource * pruner.reductionFactor}, ${pruner.minResource * pruner.reductionFactor ** 2}, … (×${pruner.reductionFactor}) when its best value so far is outside the best 1/${pruner.reductionFactor} of the finished trials' values there, pruned ones included (successive halving, once ${pruner.startupTrials} finished trials reported that step).`;
    case 'none':
      return 'The study prunes nothing by itself (pruner none); a stage may still stop its trial (TrialPruned).';
  }
}

/** Optuna's MedianPruner defaults (n_startup_trials 5, n_warmup_steps 0). */
export const defaultPruner = { type: 'median', startupTrials: 5, warmupSteps: 0 } as const satisfies PrunerSettings;

/**
 * Most values one stage attempt may report. A curve travels in the stage's result, the trial
 * record and the trial log: 1,000 points of an epoch loop stay near 20 kB; a loop over batches
 * should report every n-th.
 */
export const maxIntermediateSteps = 1000;

/** Largest step a stage may report (an int32, as both languages hold it exactly). */
export const maxIntermediateStep = 2 ** 31 - 1;

/**
 * Values kept per step: the first this many completed trials' values, then a uniform sample of
 * all of them (reservoir sampling), so the median stays the median of every completed trial's
 * value in expectation while the study's state keeps its size. Odd: the sample has one middle.
 */
export const referenceSampleSize = 31;

/**
 * Steps the study keeps a sample for, over all stages: 256 × 31 values stay near 100 kB of the
 * state every continue-as-new carries. Steps first reported after that get no reference (a trial
 * is never pruned at them).
 */
export const maxReferenceSteps = 256;

/** One stage's sample: ascending steps, how many completed trials reported each, their values. */
export interface StageReferenceSample {
  readonly stage: string;
  readonly steps: readonly number[];
  readonly counts: readonly number[];
  readonly samples: readonly (readonly number[])[];
}

/** The study's pruning sample, carried in its state; absent until a completed trial reported. */
export type PruningState = readonly StageReferenceSample[];

/**
 * Whether a curve should stop: its best value so far is strictly worse than the reference at its
 * last step. No reference, no report yet, or no threshold at that exact step: keep going.
 * (The Python worker implements the same rule in memotune/context.py.)
 */
export function shouldPrune(curve: IntermediateValues, reference: PruneReference | null | undefined): boolean {
  if (reference === null || reference === undefined || curve.steps.length === 0) return false;
  const step = curve.steps[curve.steps.length - 1]!;
  const at = indexOfStep(reference.steps, step);
  if (at < 0) return false;
  const threshold = reference.thresholds[at]!;
  const best = bestReported(curve, reference.direction)!;
  return reference.direction === 'maximize' ? best < threshold : best > threshold;
}

/**
 * The best value a curve holds (the largest when maximizing): what {@link shouldPrune} compares,
 * and what a pruned trial counts as under `prunedTrials: 'reported'`; `null` for no report.
 */
export function bestReported(curve: IntermediateValues | null | undefined, direction: Direction): number | null {
  if (curve === null || curve === undefined || curve.values.length === 0) return null;
  return direction === 'maximize' ? Math.max(...curve.values) : Math.min(...curve.values);
}

/** Index of `step` in ascending `steps`, or −1. */
function indexOfStep(steps: readonly number[], step: number): number {
  let low = 0;
  let high = steps.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const value = steps[middle]!;
    if (value === step) return middle;
    if (value < step) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/**
 * Why `step, value` cannot be reported after `curve`, or undefined: a step must be an integer in
 * [0, 2³¹ − 1] after the last one reported, a value a finite number, at most
 * {@link maxIntermediateSteps} reports an attempt.
 */
export function reportProblem(curve: IntermediateValues, step: unknown, value: unknown): string | undefined {
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0)
    return (
      `report(): step must be a non-negative integer, got ${preview(step)}` +
      (typeof step === 'number' && !Number.isInteger(step) && Number.isInteger(value)
        ? " (the order is report(step, value); Optuna's is report(value, step))"
        : '')
    );
  if (step > maxIntermediateStep) return `report(): step must be at most ${maxIntermediateStep}, got ${step}`;
  const last = curve.steps[curve.steps.length - 1];
  if (last !== undefined && step <= last)
    return `report(): step ${step} is not after the last reported step ${last} (steps must increase)`;
  if (typeof value !== 'number' || !Number.isFinite(value))
    return (
      `report(): value must be a finite number, got ${preview(value)}` +
      (typeof value === 'number' ? ' (a run that diverged: throw TrialPruned, or let the stage fail)' : '')
    );
  if (curve.steps.length >= maxIntermediateSteps)
    return `report(): at most ${maxIntermediateSteps} values may be reported per stage run (report every n-th step)`;
  return undefined;
}

/**
 * The sample after a completed trial whose stage `stage` reported `curve`. Each step's first
 * {@link referenceSampleSize} values are kept; the n-th after that replaces a kept one with
 * probability size/n (Algorithm R), the slot drawn from `seed`, the stage, the step and n, so a
 * replayed study keeps the same sample.
 */
export function withCompletedCurve(
  state: PruningState | undefined,
  stage: string,
  curve: IntermediateValues,
  seed: number,
): PruningState {
  const stages = [...(state ?? [])];
  let keptSteps = 0;
  for (const sample of stages) keptSteps += sample.steps.length;
  let at = stages.findIndex((sample) => sample.stage === stage);
  if (at < 0) {
    stages.push({ stage, steps: [], counts: [], samples: [] });
    at = stages.length - 1;
  }
  const stageIndex = at;
  const current = stages[at]!;
  const steps = [...current.steps];
  const counts = [...current.counts];
  const samples = current.samples.map((values) => [...values]);
  curve.steps.forEach((step, i) => {
    const value = curve.values[i]!;
    const position = lowerBound(steps, step);
    if (steps[position] !== step) {
      if (keptSteps >= maxReferenceSteps) return;
      steps.splice(position, 0, step);
      counts.splice(position, 0, 0);
      samples.splice(position, 0, []);
      keptSteps++;
    }
    const seen = counts[position]! + 1;
    counts[position] = seen;
    const kept = samples[position]!;
    if (kept.length < referenceSampleSize) kept.push(value);
    else {
      const slot = hashIntegers([seed, stageIndex, step, seen], 1)[0]! % seen;
      if (slot < referenceSampleSize) kept[slot] = value;
    }
  });
  stages[at] = { stage, steps, counts, samples };
  return stages;
}

/** First index whose step is ≥ `step`. */
function lowerBound(steps: readonly number[], step: number): number {
  let low = 0;
  let high = steps.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (steps[middle]! < step) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * What each stage of a new trial compares its curve with, by stage index: the median (or the
 * pruner's percentile, or successive halving's best 1/η) of the sample at every step that at least
 * `startupTrials` completed trials reported, from `warmupSteps` on (successive halving: at its
 * rungs only); `null` for a stage without one. Undefined when nothing can be pruned.
 */
export function pruneReferences(
  state: PruningState | undefined,
  stages: readonly { readonly name: string }[],
  pruner: PrunerSettings,
  direction: Direction,
): (PruneReference | null)[] | undefined {
  if (pruner.type === 'none' || state === undefined || state.length === 0) return undefined;
  // The bar at the best share of the values (a percentile's, η's 1/η): from the top when maximizing.
  const keep =
    pruner.type === 'median'
      ? 0.5
      : pruner.type === 'percentile'
        ? pruner.percentile / 100
        : 1 / pruner.reductionFactor;
  const quantile = direction === 'maximize' ? 1 - keep : keep;
  // Successive halving judges only at its rungs (at the first reported step at or after each, as
  // Optuna's does: a stage reporting every 3rd epoch is judged at 3, 6, 18 for rungs 1, 4, 16);
  // the others from their warm-up step on.
  const judgedBy = (steps: readonly number[]): ((step: number) => boolean) => {
    if (pruner.type !== 'successiveHalving') return (step) => step >= pruner.warmupSteps;
    const judged = new Set<number>();
    const last = steps[steps.length - 1] ?? 0;
    for (let rung = pruner.minResource; rung <= last; rung *= pruner.reductionFactor) {
      const at = lowerBound(steps, rung);
      if (at < steps.length) judged.add(steps[at]!);
    }
    return (step) => judged.has(step);
  };
  let any = false;
  const references = stages.map((stage): PruneReference | null => {
    const sample = state.find((entry) => entry.stage === stage.name);
    if (sample === undefined) return null;
    const steps: number[] = [];
    const thresholds: number[] = [];
    const judged = judgedBy(sample.steps);
    sample.steps.forEach((step, i) => {
      if (!judged(step) || sample.counts[i]! < pruner.startupTrials) return;
      steps.push(step);
      thresholds.push(quantileOf(sample.samples[i]!, quantile));
    });
    if (steps.length === 0) return null;
    any = true;
    return { direction, steps, thresholds };
  });
  return any ? references : undefined;
}

/**
 * The `q`-quantile, interpolated linearly between the order statistics (numpy's default
 * percentile, as Optuna's pruners use): at q = 0.5 the median, the mean of the two middle values
 * for an even count.
 */
function quantileOf(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const below = Math.floor(at);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (at - below) * (sorted[above]! - sorted[below]!);
}
