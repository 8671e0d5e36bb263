/**
 * The benchmark's studies run for real: every (method, seed) as a study workflow on a Temporal
 * server, each stage a real activity writing its output to S3. Gives the same trial sequence as
 * the in-process runner for the same spec, method and seed (`compareRuns` checks it).
 */
import type { Client } from '@temporalio/client';
import { startStudy, withTrials } from '../../client/index.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { MethodName, OptimizerSettings } from '../../core/types.js';
import { syntheticStudyConfig } from '../../examples/synthetic-stages.js';
import type { SyntheticPipelineSpec } from '../../synthetic/index.js';
import type { BenchRun, BenchTrial } from '../runner.js';

export interface TemporalRunOptions {
  readonly client: Client;
  /** The object store the workers write to (the study's trial log is read from it). */
  readonly store: ObjectStore;
  readonly spec: SyntheticPipelineSpec;
  readonly method: MethodName;
  readonly seed: number;
  /** Task queues the workers serve. */
  readonly taskQueuePrefix: string;
  /** Workflow id; also the pipeline id, so every run starts with an empty stage cache. */
  readonly studyId: string;
  readonly settings?: OptimizerSettings;
  /** Called once the study workflow has started, before waiting for its result. */
  readonly onStarted?: (studyId: string) => Promise<void>;
}

/** Runs one benchmark study through Temporal and returns it in the in-process runner's shape. */
export async function runStudyViaTemporal(options: TemporalRunOptions): Promise<BenchRun> {
  const { spec } = options;
  const base = syntheticStudyConfig(spec);
  const { handle } = await startStudy(
    options.client,
    syntheticStudyConfig(spec, {
      name: options.studyId,
      pipeline: { ...base.pipeline, id: options.studyId },
      optimizer: { ...options.settings, method: options.method, epsilon: spec.epsilon, warmup: spec.warmup },
      seed: options.seed,
    }),
    { studyId: options.studyId, taskQueuePrefix: options.taskQueuePrefix },
  );
  await options.onStarted?.(options.studyId);
  const result = await withTrials(await handle.result(), options.store);
  let spent = 0;
  const trials: BenchTrial[] = result.history.map((trial) => {
    spent += trial.chargedCost;
    if (trial.objective === null)
      throw new Error(`trial ${trial.trialIndex} of ${options.studyId} failed: ${trial.error ?? ''}`);
    return {
      index: trial.trialIndex,
      phase: trial.phase,
      config: trial.config,
      delta: trial.cachedPrefix,
      suggestedDelta: trial.suggestedPrefix,
      objective: trial.objective,
      stageCosts: trial.stageCosts.map((cost) => cost ?? Number.NaN),
      chargedCost: trial.chargedCost,
      spent,
      predictedCost: trial.predictedCost,
      optimizerMs: trial.optimizerSeconds * 1000,
    };
  });
  const { earlyStop } = result;
  return {
    method: options.method,
    seed: options.seed,
    trials,
    truncated: earlyStop === undefined && spent < spec.budget,
    ...(earlyStop === undefined ? {} : { earlyStop }),
  };
}

export interface RunComparison {
  readonly identical: boolean;
  /** Index of the first trial that differs (config, δ, objective or charge), or `null`. */
  readonly firstDifference: number | null;
  readonly lengths: readonly [number, number];
}

/** Compares two runs trial by trial, exactly (same seed and method must give the same numbers). */
export function compareRuns(a: BenchRun, b: BenchRun): RunComparison {
  const n = Math.max(a.trials.length, b.trials.length);
  for (let i = 0; i < n; i++) {
    const x = a.trials[i];
    const y = b.trials[i];
    const same =
      x !== undefined &&
      y !== undefined &&
      JSON.stringify(x.config) === JSON.stringify(y.config) &&
      x.delta === y.delta &&
      x.objective === y.objective &&
      x.chargedCost === y.chargedCost;
    if (!same) return { identical: false, firstDifference: i, lengths: [a.trials.length, b.trials.length] };
  }
  return { identical: true, firstDifference: null, lengths: [a.trials.length, b.trials.length] };
}
