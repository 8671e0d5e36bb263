import type { MethodName } from '../core/types.js';
import { runMetrics, type RunMetrics } from './metrics.js';
import type { BenchRun } from './runner.js';
import { mean, pairedBootstrap, standardError, type Interval } from './stats.js';

/**
 * The methods EEIPU's headline figures are compared against (random is reported beside, and so is
 * pbgi-memo: memoization-aware like EEIPU, an alternative to it rather than a baseline).
 */
export const BASELINE_METHODS: readonly MethodName[] = ['ms-carbo', 'carbo', 'eips', 'ei', 'pbgi'];

/** Mean and standard error over seeds. */
export interface MeanSe {
  readonly mean: number;
  readonly se: number;
}

export interface MethodSummary {
  readonly method: MethodName;
  readonly seeds: number;
  readonly evaluations: MeanSe;
  readonly reused: MeanSe;
  /** Mean post-warm-up evaluation count by δ (index = δ). */
  readonly byDelta: readonly number[];
  readonly warmupBest: MeanSe;
  readonly finalBest: MeanSe;
  readonly improvement: MeanSe;
  readonly optimizerMsPerIteration: MeanSe;
  readonly totalCost: MeanSe;
  /** Runs that cost-aware stopping ended before the budget (absent when none did). */
  readonly earlyStops?: number;
}

/** EEIPU versus a group of methods: ratios of means over seeds with paired bootstrap intervals. */
export interface HeadlineComparison {
  readonly versus: readonly MethodName[];
  /** mean(N_eeipu) / mean over the group of mean(N_b). */
  readonly evaluationsRatio: Interval;
  /** mean(improvement_eeipu) / mean over the group of mean(improvement_b). */
  readonly improvementRatio: Interval;
  /** (evaluationsRatio − 1) · 100. */
  readonly moreEvaluationsPct: number;
  /** (improvementRatio − 1) · 100. */
  readonly moreImprovementPct: number;
}

/** EEIPU's final best minus one baseline's, paired by seed. */
export interface FinalBestDifference {
  readonly versus: MethodName;
  /** The baseline's mean final best over the paired seeds. */
  readonly baselineFinalBest: number;
  /** Mean and standard error over the paired seeds of EEIPU's final best − the baseline's. */
  readonly difference: MeanSe;
}

/**
 * Issue #13's criterion on these runs: EEIPU's mean final best is at least the best baseline's (the
 * one with the highest mean) minus one standard error of their paired difference.
 */
export interface FinalBestCriterion {
  /** Every baseline that ran, in {@link BASELINE_METHODS} order. */
  readonly differences: readonly FinalBestDifference[];
  readonly bestBaseline: MethodName;
  readonly met: boolean;
  /** Seeds every baseline and EEIPU ran. */
  readonly seeds: number;
}

export interface BenchSummary {
  readonly methods: readonly MethodSummary[];
  /** EEIPU's final best against each baseline, paired by seed; `null` without EEIPU or baselines. */
  readonly finalBestCriterion: FinalBestCriterion | null;
  /** EEIPU versus the average baseline; `null` without EEIPU or without baselines. */
  readonly versusBaselines: HeadlineComparison | null;
  /** EEIPU versus random; `null` without EEIPU or random. */
  readonly versusRandom: HeadlineComparison | null;
  /** Seeds of the paired comparison (present for EEIPU and every compared method). */
  readonly pairedSeeds: readonly number[];
}

export interface SummaryOptions {
  readonly warmup: number;
  readonly stageCount: number;
  /** Seed of the bootstrap resampling. @default 0 */
  readonly bootstrapSeed?: number;
  /** @default 2000 */
  readonly resamples?: number;
}

const meanSe = (values: readonly number[]): MeanSe => ({ mean: mean(values), se: standardError(values) });

type MetricKey = 'evaluations' | 'improvement';

function compare(
  perMethod: ReadonlyMap<MethodName, ReadonlyMap<number, RunMetrics>>,
  versus: readonly MethodName[],
  options: SummaryOptions,
): { comparison: HeadlineComparison; seeds: number[] } | null {
  const eeipu = perMethod.get('eeipu');
  const present = versus.filter((m) => perMethod.has(m));
  if (eeipu === undefined || present.length === 0) return null;
  const seeds = [...eeipu.keys()].filter((s) => present.every((m) => perMethod.get(m)?.has(s))).sort((a, b) => a - b);
  if (seeds.length === 0) return null;
  const value = (method: MethodName, seed: number, key: MetricKey): number =>
    (perMethod.get(method)?.get(seed) as RunMetrics)[key];
  const ratio =
    (key: MetricKey) =>
    (indices: readonly number[]): number => {
      const picked = indices.map((i) => seeds[i] as number);
      const own = mean(picked.map((s) => value('eeipu', s, key)));
      const group = mean(present.map((m) => mean(picked.map((s) => value(m, s, key)))));
      return own / group;
    };
  const bootstrap = { resamples: options.resamples ?? 2000, seed: options.bootstrapSeed ?? 0 };
  const evaluationsRatio = pairedBootstrap(seeds.length, ratio('evaluations'), bootstrap);
  const improvementRatio = pairedBootstrap(seeds.length, ratio('improvement'), bootstrap);
  return {
    seeds,
    comparison: {
      versus: present,
      evaluationsRatio,
      improvementRatio,
      moreEvaluationsPct: (evaluationsRatio.estimate - 1) * 100,
      moreImprovementPct: (improvementRatio.estimate - 1) * 100,
    },
  };
}

/**
 * Summarizes benchmark runs per method (mean ± standard error over seeds) and computes EEIPU's
 * headline ratios versus the average baseline (ms-carbo, carbo, eips, ei: whichever ran) and
 * versus random, pairing runs by seed.
 */
export function summarizeBench(runs: readonly BenchRun[], options: SummaryOptions): BenchSummary {
  const perMethod = new Map<MethodName, Map<number, RunMetrics>>();
  for (const run of runs) {
    const bySeed = perMethod.get(run.method) ?? new Map<number, RunMetrics>();
    bySeed.set(run.seed, runMetrics(run, options.warmup, options.stageCount));
    perMethod.set(run.method, bySeed);
  }
  const methods: MethodSummary[] = [...perMethod.entries()].map(([method, bySeed]) => {
    const all = [...bySeed.values()];
    const pick = (f: (m: RunMetrics) => number): MeanSe => meanSe(all.map(f));
    const earlyStops = runs.filter((run) => run.method === method && run.earlyStop !== undefined).length;
    return {
      method,
      seeds: all.length,
      evaluations: pick((m) => m.evaluations),
      reused: pick((m) => m.reused),
      byDelta: Array.from({ length: options.stageCount }, (_, d) => mean(all.map((m) => m.byDelta[d] ?? 0))),
      warmupBest: pick((m) => m.warmupBest),
      finalBest: pick((m) => m.finalBest),
      improvement: pick((m) => m.improvement),
      optimizerMsPerIteration: pick((m) => m.optimizerMsPerIteration),
      totalCost: pick((m) => m.totalCost),
      ...(earlyStops === 0 ? {} : { earlyStops }),
    };
  });
  const baselines = compare(perMethod, BASELINE_METHODS, options);
  const random = compare(perMethod, ['random'], options);
  return {
    methods,
    finalBestCriterion: finalBestCriterion(perMethod, baselines?.seeds ?? [], baselines?.comparison.versus ?? []),
    versusBaselines: baselines?.comparison ?? null,
    versusRandom: random?.comparison ?? null,
    pairedSeeds: baselines?.seeds ?? random?.seeds ?? [],
  };
}

function finalBestCriterion(
  perMethod: ReadonlyMap<MethodName, ReadonlyMap<number, RunMetrics>>,
  seeds: readonly number[],
  versus: readonly MethodName[],
): FinalBestCriterion | null {
  const eeipu = perMethod.get('eeipu');
  if (eeipu === undefined || seeds.length === 0 || versus.length === 0) return null;
  const finals = (method: MethodName) => seeds.map((seed) => perMethod.get(method)!.get(seed)!.finalBest);
  const own = finals('eeipu');
  const differences = versus.map((method): FinalBestDifference => {
    const theirs = finals(method);
    return {
      versus: method,
      baselineFinalBest: mean(theirs),
      difference: meanSe(own.map((value, i) => value - theirs[i]!)),
    };
  });
  const best = differences.reduce((a, b) => (b.baselineFinalBest > a.baselineFinalBest ? b : a));
  return {
    differences,
    bestBaseline: best.versus,
    // One seed has no SE (NaN): met only when EEIPU is not below.
    met: best.difference.mean >= -(Number.isFinite(best.difference.se) ? best.difference.se : 0),
    seeds: seeds.length,
  };
}
