/** Trial records for the report's unit tests: only the fields the report reads matter. */
import type { StudyOutcome, TrialRecord } from '../../../src/core/study.js';
import type { Configuration, Direction } from '../../../src/core/types.js';

export interface TrialSketch {
  readonly index: number;
  readonly objective?: number | null;
  readonly status?: 'completed' | 'failed';
  readonly costs?: readonly (number | null)[];
  readonly reused?: number;
  readonly charged?: number;
  readonly config?: Configuration;
  /** Seconds after 2026-01-01T00:00:00Z. */
  readonly start?: number;
  readonly end?: number;
  readonly logPosition?: number;
}

const epoch = Date.parse('2026-01-01T00:00:00Z');

export function record(sketch: TrialSketch): TrialRecord {
  const status = sketch.status ?? (sketch.objective === null ? 'failed' : 'completed');
  const costs = sketch.costs ?? [1, 2, 3];
  const reused = sketch.reused ?? 0;
  return {
    trialIndex: sketch.index,
    ...(sketch.logPosition === undefined ? {} : { logPosition: sketch.logPosition }),
    config: sketch.config ?? [{ x0: sketch.index / 10, opt: 'adam' }, { x1: 1 }, { x2: 2 }],
    objective: status === 'failed' ? null : (sketch.objective ?? sketch.index),
    stageCosts: costs,
    cachedPrefix: reused,
    chargedCost:
      sketch.charged ?? costs.slice(reused).reduce<number>((sum, cost) => sum + (cost ?? 0), 0) + 0.1 * reused,
    phase: 'warmup',
    status,
    error: status === 'failed' ? 'stage exploded' : null,
    keys: [],
    metrics: {},
    stagesRun: costs.map((_, stage) => stage).slice(reused),
    source: 'optimizer',
    acquisition: null,
    predictedCost: null,
    suggestedPrefix: reused,
    optimizerSeconds: 0,
    ...(sketch.start === undefined ? {} : { startedAt: new Date(epoch + sketch.start * 1000).toISOString() }),
    ...(sketch.end === undefined ? {} : { finishedAt: new Date(epoch + sketch.end * 1000).toISOString() }),
  };
}

export function outcome(
  records: readonly TrialRecord[],
  overrides: Partial<StudyOutcome> & { direction?: Direction } = {},
): StudyOutcome {
  return {
    studyId: 'study-1',
    name: 'demo',
    status: 'completed',
    direction: 'maximize',
    budget: 20,
    spent: records.reduce((sum, trial) => sum + trial.chargedCost, 0),
    trials: records.length,
    failedTrials: records.filter((trial) => trial.status === 'failed').length,
    reusedTrials: records.filter((trial) => trial.cachedPrefix > 0).length,
    best: null,
    runningTrial: null,
    runs: 1,
    error: null,
    stages: ['prep', 'train', 'eval'],
    ...overrides,
  };
}
