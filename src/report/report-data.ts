/**
 * What the study report shows, as plain data: a pure function of the study's outcome (or progress
 * snapshot) and its trial records. The HTML renderer turns it into charts; tests check it here.
 */
import {
  logPositionOf,
  prunedReport,
  type EarlyStop,
  type StopWhen,
  type StudyProgress,
  type TrialRecord,
  type TrialStatus,
} from '../core/study.js';
import type { PrunerSettings } from '../core/pruning.js';
import { savedByReuse, type ReuseSaving } from '../core/charge.js';
import type { Configuration, Direction, ParamValue, SearchSpace } from '../core/types.js';
import { ImportanceUnavailableError, parameterImportance, type ImportanceResult } from '../importance/index.js';
import { rankCorrelationRatio, spearman } from './association.js';

/** The study as the report's header shows it. */
export interface ReportStudy {
  readonly id: string;
  readonly name: string;
  readonly status: StudyProgress['status'];
  readonly direction: Direction;
  readonly budget: number;
  readonly spent: number;
  readonly trials: number;
  readonly failedTrials: number;
  readonly reusedTrials: number;
  /** Trials a stage pruned. */
  readonly prunedTrials: number;
  /** Trials running when the snapshot was taken (a running study), in start order. */
  readonly runningTrials: readonly number[];
  readonly error: string | null;
  readonly stages: readonly string[];
  /** The study's pruner (its plan's), when the report was given it. */
  readonly pruner?: PrunerSettings;
  /** Set when the study ended early (its cost-aware stopping rule or its `stopWhen`). */
  readonly earlyStop?: EarlyStop;
  /** The study's `stopWhen`, when its progress carries one: the values an early end names. */
  readonly stopWhen?: StopWhen;
  /**
   * What reusing cached stages saved: the reused stages' costs less what the trials paid for them
   * (ε each), over the trials whose records carry per-stage charges; null when none do.
   */
  readonly savedByReuse: ReuseSaving | null;
  readonly best: {
    readonly trialIndex: number;
    readonly objective: number;
    readonly config: Configuration;
  } | null;
}

/** One finished trial on the convergence chart, in the order trials finished (the budget's order). */
export interface ConvergencePoint {
  readonly trialIndex: number;
  readonly status: TrialStatus;
  /** Budget spent once this trial finished: the charged cost of it and every trial before it. */
  readonly cumulativeCost: number;
  readonly objective: number | null;
  /** Best objective among the trials finished so far; `null` until one completes. */
  readonly bestSoFar: number | null;
  /** Whether this trial set a new best. */
  readonly improved: boolean;
  /** A pruned trial's best reported value (what the optimizer counts it at); absent otherwise. */
  readonly reported?: number;
}

/** One trial with its cost by stage, in trial (start) order. */
export interface ReportTrial {
  readonly trialIndex: number;
  readonly status: TrialStatus;
  readonly config: Configuration;
  /** Why it failed; `null` when it completed. */
  readonly error: string | null;
  /** Full cost of each stage (as measured when it was computed); `null` where it never completed. */
  readonly stageCosts: readonly (number | null)[];
  /** Per stage: whether its output was reused from the cache instead of run. */
  readonly reused: readonly boolean[];
  readonly chargedCost: number;
  readonly objective: number | null;
}

/** A trial's wall-clock span, in seconds from the first trial's start. */
export interface TimelineSpan {
  readonly trialIndex: number;
  readonly status: TrialStatus;
  readonly start: number;
  readonly end: number;
  /** Row of the timeline: trials overlapping in time get different lanes. */
  readonly lane: number;
  /** How many leading stages were reused from the cache. */
  readonly reusedStages: number;
  readonly objective: number | null;
}

export interface Timeline {
  /** ISO time of the earliest trial start (`null` when no record has timestamps). */
  readonly origin: string | null;
  readonly spans: readonly TimelineSpan[];
  /** Lanes used: the most trials that ran at once. */
  readonly lanes: number;
  /** Records without start/finish times (written by an older release), not drawn. */
  readonly untimed: number;
}

/** One hyperparameter as a column of the parallel-coordinates view. */
export type ParameterColumn =
  | {
      readonly stage: number;
      readonly name: string;
      /** `stage.param`, with the stage's name. */
      readonly label: string;
      readonly kind: 'numeric';
      /** Whether a log axis fits better: positive values spanning at least three decades. */
      readonly log: boolean;
    }
  | {
      readonly stage: number;
      readonly name: string;
      readonly label: string;
      readonly kind: 'categorical';
      /** Distinct values as labels, in a stable (sorted) order. */
      readonly categories: readonly string[];
    };

/** A completed trial as a line across the parameter columns. */
export interface ParameterRow {
  readonly trialIndex: number;
  /** Per column: the number, or the category label, or `null` when the trial lacks the parameter. */
  readonly values: readonly (number | string | null)[];
  readonly objective: number;
}

export interface Association {
  readonly label: string;
  readonly measure: 'spearman' | 'correlation-ratio';
  /** |ρ| or η in [0, 1]; `null` when it cannot be computed (constant parameter, too few trials). */
  readonly strength: number | null;
  /** ρ with its sign (numeric parameters only). */
  readonly signed: number | null;
  readonly n: number;
}

export interface TopConfiguration {
  readonly rank: number;
  readonly trialIndex: number;
  readonly objective: number;
  readonly chargedCost: number;
  readonly reusedStages: number;
  readonly config: Configuration;
}

/** One trial's values reported by one stage (`report(step, value)`). */
export interface ReportCurve {
  readonly trialIndex: number;
  readonly status: TrialStatus;
  readonly steps: readonly number[];
  readonly values: readonly number[];
}

/** The curves one stage reported, in trial order. */
export interface StageCurves {
  readonly stage: string;
  readonly curves: readonly ReportCurve[];
}

/**
 * Most curves a stage's chart draws: the latest trials' (and the best trial's, always). Each is a
 * line in the page's SVG and up to 1,000 points of embedded JSON.
 */
export const maxReportCurves = 200;

/**
 * Every stage's reported curves, for stages that reported any: the {@link maxReportCurves}
 * latest trials', plus the best trial's when it is older.
 */
export function intermediateOf(
  records: readonly TrialRecord[],
  stages: readonly string[],
  bestTrial: number | null,
): StageCurves[] {
  const sorted = [...records].sort((a, b) => a.trialIndex - b.trialIndex);
  return stages.flatMap((stage, index): StageCurves[] => {
    const curves = sorted.flatMap((record): ReportCurve[] => {
      const curve = record.stageIntermediate?.[index];
      if (curve === null || curve === undefined || curve.steps.length === 0) return [];
      return [{ trialIndex: record.trialIndex, status: record.status, steps: curve.steps, values: curve.values }];
    });
    if (curves.length === 0) return [];
    const latest = curves.slice(-maxReportCurves);
    const best = curves.find((curve) => curve.trialIndex === bestTrial);
    const kept = best !== undefined && !latest.includes(best) ? [best, ...latest.slice(1)] : latest;
    return [{ stage, curves: kept }];
  });
}

export interface StudyReport {
  readonly study: ReportStudy;
  readonly convergence: readonly ConvergencePoint[];
  /** Every finished trial in trial (start) order, with its costs by stage. */
  readonly trials: readonly ReportTrial[];
  readonly timeline: Timeline;
  readonly parameters: { readonly columns: readonly ParameterColumn[]; readonly rows: readonly ParameterRow[] };
  /** Strongest first; computed over completed trials. */
  readonly associations: readonly Association[];
  readonly top: readonly TopConfiguration[];
  /** Intermediate values of the stages that reported any (pruning), by stage. */
  readonly intermediate: readonly StageCurves[];
  /** Parameter importance for the objective and the cost; `null` when the space was not given. */
  readonly importance: { readonly objective: ReportImportance; readonly cost: ReportImportance } | null;
}

/** The outcome fields the report reads (a `StudyOutcome`, or a running study's `resultQuery` answer). */
export type ReportOutcome = Pick<
  StudyProgress,
  'studyId' | 'name' | 'status' | 'budget' | 'spent' | 'trials' | 'failedTrials' | 'reusedTrials' | 'best' | 'error'
> &
  Partial<
    Pick<StudyProgress, 'runningTrials' | 'runningTrial' | 'stages' | 'prunedTrials' | 'earlyStop' | 'stopWhen'>
  > & {
    readonly direction: Direction;
  };

export interface ReportOptions {
  /** Rows of the top-configurations table. @default 10 */
  readonly top?: number;
  /**
   * The study's search space (its plan's `stages`): with it the report adds parameter importance
   * for the objective and the cost (src/importance); without it, it leaves that section out.
   */
  readonly space?: SearchSpace;
  /** The study's pruner (its plan's `pruner`): the intermediate-values charts state its rule. */
  readonly pruner?: PrunerSettings;
}

/** One target's importance, or why there is none (too few trials, a flat model). */
export type ReportImportance = { readonly result: ImportanceResult } | { readonly unavailable: string };

/** Stage names: the study's own, else `stage<i>` for as many stages as the records have. */
export function stageNamesOf(outcome: Pick<ReportOutcome, 'stages'>, records: readonly TrialRecord[]): string[] {
  const count = records.reduce(
    (most, record) => Math.max(most, record.config.length, record.stageCosts.length),
    outcome.stages?.length ?? 0,
  );
  return Array.from({ length: count }, (_, index) => outcome.stages?.[index] ?? `stage${index}`);
}

function better(direction: Direction, a: number, b: number): boolean {
  return direction === 'maximize' ? a > b : a < b;
}

function completedObjective(record: TrialRecord): number | null {
  return record.status === 'completed' && record.objective !== null && Number.isFinite(record.objective)
    ? record.objective
    : null;
}

/** Best so far against budget spent, trial by trial in the order they finished; earlier wins ties. */
export function convergenceOf(records: readonly TrialRecord[], direction: Direction): ConvergencePoint[] {
  const inLogOrder = [...records].sort((a, b) => logPositionOf(a) - logPositionOf(b));
  let spent = 0;
  let best: number | null = null;
  return inLogOrder.map((record) => {
    spent += record.chargedCost;
    const objective = completedObjective(record);
    const improved = objective !== null && (best === null || better(direction, objective, best));
    if (improved) best = objective;
    const reported = prunedReport(record, direction);
    return {
      trialIndex: record.trialIndex,
      status: record.status,
      cumulativeCost: spent,
      objective,
      bestSoFar: best,
      improved,
      ...(reported === null ? {} : { reported }),
    };
  });
}

export function trialsOf(records: readonly TrialRecord[], stageCount: number): ReportTrial[] {
  return [...records]
    .sort((a, b) => a.trialIndex - b.trialIndex)
    .map((record) => ({
      trialIndex: record.trialIndex,
      status: record.status,
      config: record.config,
      error: record.error,
      stageCosts: Array.from({ length: stageCount }, (_, stage) => record.stageCosts[stage] ?? null),
      reused: Array.from({ length: stageCount }, (_, stage) => stage < record.cachedPrefix),
      chargedCost: record.chargedCost,
      objective: completedObjective(record),
    }));
}

function timeOf(iso: string | undefined): number | null {
  if (iso === undefined) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Wall-clock spans of the trials, packed into lanes greedily by start time: a trial takes the
 * first lane free when it starts, so the lane count is the most trials that ran at once.
 */
export function timelineOf(records: readonly TrialRecord[]): Timeline {
  const timed: { record: TrialRecord; start: number; end: number }[] = [];
  for (const record of records) {
    const start = timeOf(record.startedAt);
    const end = timeOf(record.finishedAt);
    if (start !== null && end !== null) timed.push({ record, start, end: Math.max(start, end) });
  }
  if (timed.length === 0) return { origin: null, spans: [], lanes: 0, untimed: records.length };
  timed.sort((a, b) => a.start - b.start || a.record.trialIndex - b.record.trialIndex);
  const origin = timed[0]!.start;
  const laneEnds: number[] = [];
  const spans = timed.map(({ record, start, end }): TimelineSpan => {
    let lane = laneEnds.findIndex((laneEnd) => laneEnd <= start);
    if (lane === -1) lane = laneEnds.push(end) - 1;
    else laneEnds[lane] = end;
    return {
      trialIndex: record.trialIndex,
      status: record.status,
      start: (start - origin) / 1000,
      end: (end - origin) / 1000,
      lane,
      reusedStages: record.cachedPrefix,
      objective: completedObjective(record),
    };
  });
  return {
    origin: new Date(origin).toISOString(),
    spans,
    lanes: laneEnds.length,
    untimed: records.length - timed.length,
  };
}

/** A categorical value as the report labels it (`true`, `adam`, `3`). */
export function valueLabel(value: ParamValue): string {
  return String(value);
}

const naturalOrder = new Intl.Collator('en', { numeric: true });

/**
 * Every parameter that appears, in stage order then first appearance, with its kind: numeric when
 * every value is a number, categorical otherwise (strings, booleans, or a mix).
 */
export function parameterColumnsOf(records: readonly TrialRecord[], stageNames: readonly string[]): ParameterColumn[] {
  const found = new Map<string, { stage: number; name: string; values: ParamValue[] }>();
  for (const record of records) {
    record.config.forEach((params, stage) => {
      for (const [name, value] of Object.entries(params)) {
        const id = JSON.stringify([stage, name]);
        let entry = found.get(id);
        if (entry === undefined) {
          entry = { stage, name, values: [] };
          found.set(id, entry);
        }
        entry.values.push(value);
      }
    });
  }
  return [...found.values()]
    .sort((a, b) => a.stage - b.stage)
    .map(({ stage, name, values }): ParameterColumn => {
      const label = `${stageNames[stage] ?? `stage${stage}`}.${name}`;
      if (values.every((value) => typeof value === 'number' && Number.isFinite(value))) {
        const numbers = values as number[];
        const low = numbers.reduce((min, value) => Math.min(min, value), Infinity);
        const high = numbers.reduce((max, value) => Math.max(max, value), -Infinity);
        return { stage, name, label, kind: 'numeric', log: low > 0 && high / low >= 1000 };
      }
      const categories = [...new Set(values.map(valueLabel))].sort(naturalOrder.compare);
      return { stage, name, label, kind: 'categorical', categories };
    });
}

function cell(column: ParameterColumn, record: TrialRecord): number | string | null {
  const value = record.config[column.stage]?.[column.name];
  if (value === undefined) return null;
  return column.kind === 'numeric' ? (value as number) : valueLabel(value);
}

/** Association of each parameter with the objective over completed trials, strongest first. */
export function associationsOf(columns: readonly ParameterColumn[], rows: readonly ParameterRow[]): Association[] {
  const result = columns.map((column, index): Association => {
    const pairs = rows.filter((row) => row.values[index] !== null);
    const objectives = pairs.map((row) => row.objective);
    if (column.kind === 'numeric') {
      const rho = spearman(
        pairs.map((row) => row.values[index] as number),
        objectives,
      );
      return {
        label: column.label,
        measure: 'spearman',
        strength: rho === null ? null : Math.abs(rho),
        signed: rho,
        n: pairs.length,
      };
    }
    const eta = rankCorrelationRatio(
      pairs.map((row) => row.values[index] as string),
      objectives,
    );
    return { label: column.label, measure: 'correlation-ratio', strength: eta, signed: null, n: pairs.length };
  });
  // Strongest first; the ones that could not be computed last, in column order.
  return result
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => (b.entry.strength ?? -1) - (a.entry.strength ?? -1) || a.index - b.index)
    .map(({ entry }) => entry);
}

/** The `count` best completed trials, best first; earlier trials first on ties. */
export function topConfigurationsOf(
  records: readonly TrialRecord[],
  direction: Direction,
  count: number,
): TopConfiguration[] {
  return records
    .flatMap((record) => {
      const objective = completedObjective(record);
      return objective === null ? [] : [{ record, objective }];
    })
    .sort(
      (a, b) =>
        (direction === 'maximize' ? b.objective - a.objective : a.objective - b.objective) ||
        logPositionOf(a.record) - logPositionOf(b.record),
    )
    .slice(0, count)
    .map(({ record, objective }, index) => ({
      rank: index + 1,
      trialIndex: record.trialIndex,
      objective,
      chargedCost: record.chargedCost,
      reusedStages: record.cachedPrefix,
      config: record.config,
    }));
}

/**
 * Everything the report shows, from a study's outcome (or a running study's snapshot) and its
 * trial records in any order.
 * @throws RangeError when `options.top` is not a positive integer.
 */
export function buildStudyReport(
  outcome: ReportOutcome,
  records: readonly TrialRecord[],
  options: ReportOptions = {},
): StudyReport {
  const top = options.top ?? 10;
  if (!Number.isInteger(top) || top < 1) throw new RangeError('top must be a positive integer');
  const stages = stageNamesOf(outcome, records);
  const columns = parameterColumnsOf(records, stages);
  const rows = [...records]
    .sort((a, b) => a.trialIndex - b.trialIndex)
    .flatMap((record): ParameterRow[] => {
      const objective = completedObjective(record);
      if (objective === null) return [];
      return [{ trialIndex: record.trialIndex, values: columns.map((column) => cell(column, record)), objective }];
    });
  const running =
    outcome.runningTrials?.map((trial) => trial.trialIndex) ??
    (outcome.runningTrial === null || outcome.runningTrial === undefined ? [] : [outcome.runningTrial]);
  return {
    study: {
      id: outcome.studyId,
      name: outcome.name,
      status: outcome.status,
      direction: outcome.direction,
      budget: outcome.budget,
      spent: outcome.spent,
      trials: outcome.trials,
      failedTrials: outcome.failedTrials,
      reusedTrials: outcome.reusedTrials,
      prunedTrials: outcome.prunedTrials ?? 0,
      runningTrials: outcome.status === 'running' ? running : [],
      error: outcome.error,
      stages,
      ...(options.pruner === undefined ? {} : { pruner: options.pruner }),
      ...(outcome.earlyStop === undefined ? {} : { earlyStop: outcome.earlyStop }),
      ...(outcome.stopWhen === undefined ? {} : { stopWhen: outcome.stopWhen }),
      savedByReuse: savedByReuse(records),
      best: outcome.best,
    },
    convergence: convergenceOf(records, outcome.direction),
    trials: trialsOf(records, stages.length),
    timeline: timelineOf(records),
    parameters: { columns, rows },
    associations: associationsOf(columns, rows),
    top: topConfigurationsOf(records, outcome.direction, top),
    intermediate: intermediateOf(records, stages, outcome.best?.trialIndex ?? null),
    importance:
      options.space === undefined
        ? null
        : {
            objective: importanceOf(options.space, records, 'objective'),
            cost: importanceOf(options.space, records, 'cost'),
          },
  };
}

function importanceOf(
  space: SearchSpace,
  records: readonly TrialRecord[],
  target: 'objective' | 'cost',
): ReportImportance {
  try {
    return { result: parameterImportance(space, records, { target }) };
  } catch (error) {
    if (error instanceof ImportanceUnavailableError) return { unavailable: error.message };
    throw error;
  }
}
