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
import {
  evaluateSynthetic,
  syntheticCurve,
  syntheticSearchSpace,
  type SyntheticPipelineSpec,
} from '../synthetic/index.js';
import { defaultPruner, pruneReferences, shouldPrune, type IntermediateValues } from '../core/pruning.js';
import { PrefixMemo } from './memo.js';
import {
  initialStudyState,
  modelObjective,
  trialCharge,
  withPruningSample,
  type EarlyStop,
  type TrialStatus,
} from '../core/study.js';
import {
  afterTrial,
  computingTrials,
  costAwareHalt,
  mayShareRunningPrefixes,
  nextStep,
  pendingTrials,
  isUsablePrediction,
  reservationFor,
  slotFreeWaitingFor,
  type Halt,
  type LoopPlan,
  type NextStep,
  type RunningTrial,
  type SharingRule,
} from '../core/study-loop.js';
import { initialDesignSize, resolveSettings } from '../optimizer/settings.js';

/** The optimizer entry point the harness drives (`suggest` of `src/optimizer`). */
export type SuggestFn = (request: SuggestRequest) => Suggestion;

/** One trial of a benchmark study, as exported in the JSON report. */
export interface BenchTrial {
  /** Start order (trials are listed in the order they finished, as in a study's trial log). */
  readonly index: number;
  readonly phase: Phase;
  readonly config: Configuration;
  /** δ actually reused from the prefix memo (including prefixes a running trial was computing). */
  readonly delta: number;
  /** δ the optimizer assumed when it suggested the configuration. */
  readonly suggestedDelta: number;
  /** `null` when a stage failed (the spec's `fails` rules). */
  readonly objective: number | null;
  /** Full (uncached) cost of every stage; 0 for the stages after a failed one (they never ran). */
  readonly stageCosts: readonly number[];
  /** δ·ε + Σ_{s>δ} c_s. */
  readonly chargedCost: number;
  /** Budget spent after this trial. */
  readonly spent: number;
  readonly predictedCost: number | null;
  /** Wall time of the `suggest` call, in milliseconds. */
  readonly optimizerMs: number;
  /** Simulated clock (cost units) when the trial started and finished; absent in older reports. */
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** Reused stages that a running trial was still computing when this one started (single flight). */
  readonly sharedInFlight?: number;
  /** Trials running when this one was suggested. */
  readonly pending?: number;
  /** The epoch its last stage was pruned at (specs with `curves`); absent when it was not pruned. */
  readonly prunedAt?: number;
}

/** One (method, seed) study. */
export interface BenchRun {
  readonly method: MethodName;
  readonly seed: number;
  readonly trials: readonly BenchTrial[];
  /** True when the run stopped at `maxTrials` (or an exhausted space) before spending the budget. */
  readonly truncated: boolean;
  /** Why the run completed before spending its budget (cost-aware stopping); absent otherwise. */
  readonly earlyStop?: EarlyStop;
  /** Trials run at once (absent in older reports: 1). */
  readonly parallelism?: number;
}

export interface RunStudyOptions {
  readonly spec: SyntheticPipelineSpec;
  readonly method: MethodName;
  readonly seed: number;
  readonly suggest: SuggestFn;
  /** Extra optimizer settings (ablations); method, epsilon and warm-up always come from the spec. */
  readonly settings?: OptimizerSettings;
  /** Trials run at once on the simulated clock. @default 1 */
  readonly parallelism?: number;
  /** Ablations of the loop's rules (`LoopView`); the study workflow uses neither. */
  readonly loopAblation?: LoopAblation;
  /** Called after every trial (progress reporting). */
  readonly onTrial?: (trial: BenchTrial) => void;
  /** Safety stop for degenerate specs (zero costs). @default 100000 */
  readonly maxTrials?: number;
}

/** Loop rules measured and not adopted (docs/optimizer.md, "Pending trials"). */
export interface LoopAblation {
  /** No BO suggestion while a warm-up trial runs (`awaitsInitialDesign`). */
  readonly warmupBarrier?: boolean;
  /** Waiting trials that leave their slot to another trial (`LoopView.slotFreeWaiting`); absent: the workflow's, parallelism − 1 (Infinity: all). */
  readonly slotFreeWaiting?: number;
  /** When a suggestion may share a running trial's prefix (`SharingRule`). @default 'fewerThanWorkers' */
  readonly sharing?: SharingRule;
}

interface SimulatedTrial extends RunningTrial {
  /** δ actually reused (cached or being computed by another trial). */
  readonly delta: number;
  /**
   * Full cost of every stage (reused ones as measured by the trial that computed them; 0 after a
   * failed stage: nothing after it runs).
   */
  readonly stageCosts: readonly number[];
  /** The stage that failed (the spec's `fails` rules), or null. */
  readonly failedAt: number | null;
  readonly status: TrialStatus;
  /** What its last stage reported, by stage (specs with `curves`). */
  readonly stageIntermediate?: readonly (IntermediateValues | null)[];
  /** On the simulated clock; ∞ while the trial waits for a shared prefix. */
  readonly finishedAt: number;
  readonly trial: BenchTrial;
  readonly observation: Observation;
}

/**
 * Runs one in-process study on a synthetic pipeline until the budget is spent, with the study
 * workflow's own loop (src/core/study-loop.ts) on a simulated clock: a stage takes its cost in
 * clock units, a reused stage ε; up to `parallelism` trials run at once and finish in clock order
 * (ties by start order). A trial whose prefix another running trial is computing waits for it and
 * is charged ε per reused stage (single flight), as on Temporal. The optimizer sees the finished
 * trials, in finish order, and the running ones as pending. With parallelism 1 this is the
 * sequential study: the same trials, bit for bit, as the study workflow gives.
 */
export function runStudy(options: RunStudyOptions): BenchRun {
  const { spec, method, seed, suggest } = options;
  const parallelism = options.parallelism ?? 1;
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new RangeError('parallelism must be a positive integer');
  const space = syntheticSearchSpace(spec);
  const stageCount = spec.stages.length;
  const settings: OptimizerSettings = { ...options.settings, method, epsilon: spec.epsilon, warmup: spec.warmup };
  const plan: LoopPlan = {
    budget: spec.budget,
    maxTrials: options.maxTrials ?? 100_000,
    trialsPerRun: Number.POSITIVE_INFINITY,
    enqueue: [],
    parallelism,
    objective: { metric: 'objective', direction: 'maximize' },
    maxConsecutiveFailures: null,
  };
  const ablation = {
    ...(options.loopAblation?.warmupBarrier === true ? { initialDesign: initialDesignSize(settings) } : {}),
    // The study workflow's bound unless an ablation sets another.
    slotFreeWaiting: options.loopAblation?.slotFreeWaiting ?? slotFreeWaitingFor(parallelism),
  };
  const memo = new PrefixMemo(stageCount);
  const history: Observation[] = [];
  const trials: BenchTrial[] = [];
  let running: SimulatedTrial[] = [];
  let state = initialStudyState('simulated/');
  let optimizerState: OptimizerState | undefined;
  let halt: Halt | null = null;
  let clock = 0;
  /** Set when the optimizer has nothing new while trials run: wait for one to finish first. */
  let awaitFinish = false;

  /** When a waiting trial's shared prefix is committed (∞ while its owner itself waits). */
  const readyTime = (trial: SimulatedTrial): number => memo.lookup(trial.config).readyAt[trial.delta - 1] ?? clock;
  /** Starts a trial's own stages at `at`: it holds a worker until it finishes. */
  const launch = (trial: SimulatedTrial, at: number): SimulatedTrial => {
    let time = at + trial.delta * spec.epsilon;
    const committedAt: number[] = [];
    for (const [s, cost] of trial.stageCosts.entries()) {
      if (s >= trial.delta) time += cost;
      committedAt.push(time);
    }
    memo.schedule(trial.config, committedAt);
    return { ...trial, waiting: false, finishedAt: time };
  };

  for (;;) {
    // Waiting trials whose shared prefix is committed start, in start order, on free slots.
    let free = parallelism - computingTrials(running);
    running = running.map((trial) => {
      if (!trial.waiting || free <= 0 || readyTime(trial) > clock) return trial;
      free--;
      return launch(trial, clock);
    });
    const step: NextStep = awaitFinish
      ? { kind: 'wait' }
      : nextStep({ plan, state, running, startedThisRun: 0, handOffSuggested: false, halt, ...ablation });
    // The simulation has no control requests: it never pauses.
    if (step.kind === 'finish' || step.kind === 'continueAsNew' || step.kind === 'paused') break;
    if (step.kind === 'wait') {
      // The next event: a computing trial finishes, or (with a slot free) a waiting one can start.
      let next: SimulatedTrial | undefined;
      for (const trial of running)
        if (!trial.waiting && (next === undefined || trial.finishedAt < next.finishedAt)) next = trial;
      const startable = free > 0 ? running.filter((trial) => trial.waiting).map(readyTime) : [];
      const nextStart = Math.min(...startable);
      if (next === undefined || nextStart < next.finishedAt) {
        if (!Number.isFinite(nextStart)) throw new Error('simulation stalled: nothing runs and nothing can start');
        clock = nextStart;
        continue;
      }
      const finished = next;
      running = running.filter((trial) => trial !== finished);
      clock = finished.finishedAt;
      awaitFinish = false;
      ({ state, halt } = afterTrial(plan, state, {
        trialIndex: finished.trialIndex,
        config: finished.config,
        objective: finished.observation.objective,
        status: finished.status,
        chargedCost: finished.observation.chargedCost,
        cachedPrefix: finished.delta,
        error: finished.failedAt === null ? null : `stage ${finished.failedAt} failed (its fails rule)`,
      }));
      // As the study workflow does: a completed trial's curve joins the pruning sample.
      if (finished.stageIntermediate !== undefined)
        state = withPruningSample(state, finished, {
          stages: spec.stages,
          seed,
          ...(spec.pruner === undefined ? {} : { pruner: spec.pruner }),
        });
      const trial: BenchTrial = { ...finished.trial, spent: state.spent, finishedAt: finished.finishedAt };
      trials.push(trial);
      history.push(finished.observation);
      options.onTrial?.(trial);
      continue;
    }

    const request: SuggestRequest = {
      space,
      // Snapshots: the optimizer may keep the request, and later trials must not change it.
      history: history.slice(),
      ...(running.length === 0 ? {} : { pending: pendingTrials(running) }),
      ...(mayShareRunningPrefixes(running, parallelism, options.loopAblation?.sharing)
        ? {}
        : { shareRunningPrefixes: false }),
      budget: { total: spec.budget, spent: state.spent },
      direction: 'maximize',
      settings,
      seed,
      ...(optimizerState === undefined ? {} : { state: optimizerState }),
    };
    const started = performance.now();
    const suggestion = suggest(request);
    const optimizerMs = performance.now() - started;
    if (suggestion.diagnostics.exhausted === true) {
      halt = { status: 'exhausted', error: null };
      continue;
    }
    if (suggestion.diagnostics.waitForPending === true && running.length > 0) {
      awaitFinish = true;
      continue;
    }
    if (settings.costAwareStopping === true) {
      halt = costAwareHalt(suggestion);
      if (halt !== null) continue;
    }
    optimizerState = suggestion.state;

    // The longest proper prefix computed or being computed (single flight): reused at ε a stage.
    const evaluation = evaluateSynthetic(spec, suggestion.config);
    const { delta, cachedCosts, readyAt } = memo.lookup(suggestion.config);
    // A failing stage costs a run and ends the trial; it is never among the cached ones (a failed
    // stage stores no output, and its rule reads only its own params).
    const { failedAt } = evaluation;
    const last = stageCount - 1;
    // A spec with curves: the last stage reports each epoch and stops, having cost its share of a
    // run, once it falls behind the median the study had when the trial started.
    const curve = syntheticCurve(spec, suggestion.config, evaluation.objective, seed);
    const reference =
      curve === null
        ? undefined
        : pruneReferences(state.pruning, spec.stages, spec.pruner ?? defaultPruner, 'maximize')?.[last];
    let prunedAt: number | null = null;
    if (curve !== null && reference !== undefined && reference !== null)
      for (let k = 0; k < curve.steps.length - 1 && prunedAt === null; k++)
        if (shouldPrune({ steps: curve.steps.slice(0, k + 1), values: curve.values.slice(0, k + 1) }, reference))
          prunedAt = k;
    const reported =
      curve === null || prunedAt === null
        ? curve
        : { steps: curve.steps.slice(0, prunedAt + 1), values: curve.values.slice(0, prunedAt + 1) };
    const stageCosts = evaluation.stageCosts.map((cost, s) =>
      s < delta
        ? cachedCosts[s]!
        : failedAt !== null && s > failedAt
          ? 0
          : prunedAt !== null && s === last
            ? (cost * (prunedAt + 1)) / curve!.steps.length
            : cost,
    );
    const objective = prunedAt === null ? evaluation.objective : null;
    const waiting = (readyAt[delta - 1] ?? clock) > clock;
    // Its own prefixes are known from now on (a later trial shares them), their times once it runs.
    memo.record(
      suggestion.config,
      stageCosts,
      stageCosts.map(() => Number.POSITIVE_INFINITY),
      failedAt ?? (prunedAt === null ? stageCosts.length : last),
    );
    const chargedCost = trialCharge(delta, spec.epsilon, stageCosts.slice(delta));
    const trial: SimulatedTrial = {
      trialIndex: step.trialIndex,
      config: suggestion.config,
      cachedPrefix: suggestion.cachedPrefix,
      phase: suggestion.phase,
      reservedCost: reservationFor(suggestion.predictedCost, state),
      predicted: isUsablePrediction(suggestion.predictedCost),
      settledStages: delta,
      waiting: true,
      delta,
      stageCosts,
      failedAt,
      status: failedAt !== null ? 'failed' : prunedAt !== null ? 'pruned' : 'completed',
      ...(reported === null ? {} : { stageIntermediate: stageCosts.map((_, s) => (s === last ? reported : null)) }),
      finishedAt: Number.POSITIVE_INFINITY,
      trial: {
        index: step.trialIndex,
        phase: suggestion.phase,
        config: suggestion.config,
        delta,
        suggestedDelta: suggestion.cachedPrefix,
        objective,
        stageCosts,
        chargedCost,
        spent: Number.NaN,
        predictedCost: suggestion.predictedCost,
        optimizerMs,
        startedAt: clock,
        sharedInFlight: readyAt.filter((ready) => ready > clock).length,
        pending: running.length,
        ...(prunedAt === null ? {} : { prunedAt }),
      },
      observation: {
        config: suggestion.config,
        // As the study's trial log gives it to the optimizer (modelObjective in src/core/study.ts).
        objective: modelObjective(
          {
            status: prunedAt === null ? 'completed' : 'pruned',
            objective,
            stageIntermediate: [reported],
            stagesRun: [0],
          },
          'maximize',
          resolveSettings(settings).prunedTrials,
        ),
        // The optimizer's cost models learn from clean runs only: none from the failed (or pruned)
        // stage on.
        stageCosts:
          failedAt !== null
            ? stageCosts.map((cost, s) => (s < failedAt ? cost : null))
            : prunedAt !== null
              ? stageCosts.map((cost, s) => (s < last ? cost : null))
              : stageCosts,
        cachedPrefix: delta,
        chargedCost,
        phase: suggestion.phase,
      },
    };
    running.push(waiting ? trial : launch(trial, clock));
  }
  const earlyStop = halt?.earlyStop;
  return {
    method,
    seed,
    trials,
    truncated: earlyStop === undefined && state.spent < spec.budget,
    ...(earlyStop === undefined ? {} : { earlyStop }),
    ...(parallelism === 1 ? {} : { parallelism }),
  };
}
