import { performance } from 'node:perf_hooks';
import type {
  Configuration,
  MethodName,
  Observation,
  OptimizerSettings,
  OptimizerState,
  Phase,
  SuggestRequest,
  Suggestion,
} from '../core/types.js';
import { evaluateSynthetic, syntheticSearchSpace, type SyntheticPipelineSpec } from '../synthetic/index.js';
import { PrefixMemo } from './memo.js';
import { trialCharge } from '../core/study.js';

/** The optimizer entry point the harness drives (`suggest` of `src/optimizer`). */
export type SuggestFn = (request: SuggestRequest) => Suggestion;

/** One trial of a benchmark study, as exported in the JSON report. */
export interface BenchTrial {
  readonly index: number;
  readonly phase: Phase;
  readonly config: Configuration;
  /** δ actually reused from the prefix memo. */
  readonly delta: number;
  /** δ the optimizer assumed when it suggested the configuration. */
  readonly suggestedDelta: number;
  readonly objective: number;
  /** Full (uncached) cost of every stage. */
  readonly stageCosts: readonly number[];
  /** δ·ε + Σ_{s>δ} c_s. */
  readonly chargedCost: number;
  /** Budget spent after this trial. */
  readonly spent: number;
  readonly predictedCost: number | null;
  /** Wall time of the `suggest` call, in milliseconds. */
  readonly optimizerMs: number;
}

/** One (method, seed) study. */
export interface BenchRun {
  readonly method: MethodName;
  readonly seed: number;
  readonly trials: readonly BenchTrial[];
  /** True when the run stopped at `maxTrials` before spending the budget. */
  readonly truncated: boolean;
}

export interface RunStudyOptions {
  readonly spec: SyntheticPipelineSpec;
  readonly method: MethodName;
  readonly seed: number;
  readonly suggest: SuggestFn;
  /** Extra optimizer settings (ablations); method, epsilon and warm-up always come from the spec. */
  readonly settings?: OptimizerSettings;
  /** Called after every trial (progress reporting). */
  readonly onTrial?: (trial: BenchTrial) => void;
  /** Safety stop for degenerate specs (zero costs). @default 100000 */
  readonly maxTrials?: number;
}

/**
 * Runs one in-process study on a synthetic pipeline until the budget is spent (the last trial
 * may overshoot). Stages whose exact prefix was computed before are charged ε each, the others
 * their synthetic cost; the optimizer sees full stage costs and the δ actually reused.
 */
export function runStudy(options: RunStudyOptions): BenchRun {
  const { spec, method, seed, suggest } = options;
  const maxTrials = options.maxTrials ?? 100_000;
  const space = syntheticSearchSpace(spec);
  const memo = new PrefixMemo(spec.stages.length);
  const settings: OptimizerSettings = { ...options.settings, method, epsilon: spec.epsilon, warmup: spec.warmup };
  const history: Observation[] = [];
  const trials: BenchTrial[] = [];
  let state: OptimizerState | undefined;
  let spent = 0;
  while (spent < spec.budget && trials.length < maxTrials) {
    const request: SuggestRequest = {
      space,
      // A snapshot: the optimizer may keep the request, and later trials must not change it.
      history: history.slice(),
      budget: { total: spec.budget, spent },
      direction: 'maximize',
      settings,
      seed,
      ...(state === undefined ? {} : { state }),
    };
    const started = performance.now();
    const suggestion = suggest(request);
    const optimizerMs = performance.now() - started;
    state = suggestion.state;

    const { delta, cachedCosts } = memo.lookup(suggestion.config);
    const evaluation = evaluateSynthetic(spec, suggestion.config);
    const stageCosts = evaluation.stageCosts.map((cost, s) => (s < delta ? (cachedCosts[s] as number) : cost));
    const chargedCost = trialCharge(delta, spec.epsilon, stageCosts.slice(delta));
    memo.record(suggestion.config, stageCosts);
    spent += chargedCost;

    const trial: BenchTrial = {
      index: trials.length,
      phase: suggestion.phase,
      config: suggestion.config,
      delta,
      suggestedDelta: suggestion.cachedPrefix,
      objective: evaluation.objective,
      stageCosts,
      chargedCost,
      spent,
      predictedCost: suggestion.predictedCost,
      optimizerMs,
    };
    trials.push(trial);
    history.push({
      config: suggestion.config,
      objective: evaluation.objective,
      stageCosts,
      cachedPrefix: delta,
      chargedCost,
      phase: suggestion.phase,
    });
    options.onTrial?.(trial);
  }
  return { method, seed, trials, truncated: spent < spec.budget };
}
