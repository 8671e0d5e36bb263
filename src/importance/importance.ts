/**
 * Which hyperparameters — and which stages — matter: functional ANOVA of the study's surrogate.
 *
 * A Gaussian process (the optimizer's own model class: Matérn-5/2 ARD, MAP hyperparameters) is
 * fitted to the completed trials, and the variance of its posterior mean over the search space
 * (each parameter drawn from its own range as the optimizer sees it: uniform, log-uniform for
 * `log`, each choice equally likely) is split by parameter with Sobol indices
 * (./sobol-indices.ts). This is what Optuna's fANOVA evaluator reports, on a GP instead of a random
 * forest, and it adds what a pipeline needs: the same split by stage, and for the cost as well as
 * the objective — which stage's knobs decide the result, and which decide the bill.
 *
 * The figures describe the model, not the truth: with few trials, or trials crowded where the
 * optimizer exploited, they are rough. The standard errors are those of the Monte-Carlo estimate.
 */
import { GaussianProcess } from '../gp/index.js';
import type { Configuration, Observation, SearchSpace } from '../core/types.js';
import { createRandom } from '../random/index.js';
import { isFixedParam, SpaceEncoding } from '../space/index.js';
import { sobolIndices, type SobolIndex } from './sobol-indices.js';

/** What is decomposed: the objective, or log of a trial's full cost (every stage as if run). */
export type ImportanceTarget = 'objective' | 'cost';

export interface ImportanceOptions {
  /** @default 'objective' */
  readonly target?: ImportanceTarget;
  /** Seeds the model's fit, the trial subset and the Monte-Carlo samples. @default 0 */
  readonly seed?: number;
  /**
   * N, rows of each Monte-Carlo base sample (N·(2 + parameters + stages) model evaluations).
   * @default 2048, fewer (not below 256) when trials × (parameters + stages) is large
   */
  readonly samples?: number;
  /** At most this many completed trials (a seeded subset beyond it) condition the model. @default 1000 */
  readonly maxTrials?: number;
}

/** One parameter's (or one stage's) share of the target's variance under the model. */
export interface ImportanceEntry extends SobolIndex {
  readonly stage: string;
  /** The parameter; absent on a stage's row. */
  readonly param?: string;
}

export interface ImportanceResult {
  readonly target: ImportanceTarget;
  /** Completed trials the model was conditioned on. */
  readonly trials: number;
  /** N of the Monte-Carlo estimate. */
  readonly samples: number;
  /** Parameters, most important (total index) first. */
  readonly parameters: readonly ImportanceEntry[];
  /** Stages with parameters, in pipeline order: each one's parameters together. */
  readonly stages: readonly ImportanceEntry[];
  /** Σ first-order over parameters; 1 − this is the share of interactions between parameters. */
  readonly firstOrderSum: number;
  /**
   * Parameters whose trials cover their range too thinly for the model to tell their effect — a
   * choice tried by few trials, values bunched in a small part of the range — as an optimizer that
   * exploits leaves them. Their figures are a guess; empty when every parameter is covered.
   */
  readonly warnings: readonly string[];
  /**
   * Set when most of the variance lies in interactions and there are fewer than
   * {@link trialsPerParameter} trials a parameter: the model has not told the parameters' effects
   * apart, and the ranking is a guess (a user review saw an unused parameter ranked fourth, from 33
   * trials of 8 parameters). Null otherwise.
   */
  readonly caution: string | null;
}

/** Completed trials a parameter below which an interaction-dominated decomposition is flagged. */
export const trialsPerParameter = 10;

/** Fewest completed trials an importance is computed from. */
export const minImportanceTrials = 5;

/** Raised when a study cannot be analysed (too few trials, or a model with no structure). */
export class ImportanceUnavailableError extends Error {
  override readonly name = 'ImportanceUnavailableError';
}

/** Kernel evaluations the estimate aims to stay under when it picks N itself. */
const evaluationBudget = 6e7;

/** A trial as the analysis reads it: an observation, and a record's status when it has one. */
export type ImportanceTrial = Observation & { readonly status?: string };

function targetValue(trial: ImportanceTrial, target: ImportanceTarget): number | null {
  if (trial.status !== undefined && trial.status !== 'completed') return null;
  if (trial.objective === null || !Number.isFinite(trial.objective)) return null;
  if (target === 'objective') return trial.objective;
  let total = 0;
  for (const cost of trial.stageCosts) {
    if (cost === null || !Number.isFinite(cost)) return null;
    total += cost;
  }
  return total > 0 ? Math.log(total) : null;
}

/** `count` distinct indices of [0, n), in increasing order (all of them when count ≥ n). */
function subsetIndices(n: number, count: number, seed: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (count >= n) return all;
  const random = createRandom(seed, n, 0x1a7);
  for (let i = 0; i < count; i++) {
    const j = i + random.nextInt(n - i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count).sort((x, y) => x - y);
}

/**
 * Sobol indices of every parameter and every stage for the objective (or log cost) of a study's
 * completed trials. Left out: records of another status, trials without an objective, and for
 * `cost` trials with a stage cost missing or a total cost ≤ 0.
 *
 * @throws {ImportanceUnavailableError} with fewer than {@link minImportanceTrials} usable trials, or
 *   when the model's mean is flat (it found no structure: the target looks like noise).
 * @throws {RangeError} on an invalid space, a trial whose configuration does not fit it, or bad options.
 */
export function parameterImportance(
  space: SearchSpace,
  trials: readonly ImportanceTrial[],
  options: ImportanceOptions = {},
): ImportanceResult {
  const target = options.target ?? 'objective';
  if (target !== 'objective' && target !== 'cost')
    throw new RangeError(`target must be 'objective' or 'cost' (got ${JSON.stringify(target)})`);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer (got ${seed})`);
  const maxTrials = options.maxTrials ?? 1000;
  if (!Number.isInteger(maxTrials) || maxTrials < minImportanceTrials)
    throw new RangeError(`maxTrials must be an integer ≥ ${minImportanceTrials} (got ${maxTrials})`);
  if (options.samples !== undefined && (!Number.isInteger(options.samples) || options.samples < 2))
    throw new RangeError(`samples must be an integer ≥ 2 (got ${options.samples})`);

  const encoding = new SpaceEncoding(space);
  const usable = trials.flatMap((trial) => {
    const value = targetValue(trial, target);
    return value === null ? [] : [{ config: trial.config, value }];
  });
  if (usable.length < minImportanceTrials)
    throw new ImportanceUnavailableError(
      `importance needs at least ${minImportanceTrials} completed trials` +
        (target === 'cost' ? ' with every stage cost measured' : '') +
        `; this study has ${usable.length}`,
    );
  const chosen = subsetIndices(usable.length, maxTrials, seed).map((i) => usable[i]!);
  const model = GaussianProcess.fit(
    chosen.map((trial) => encoding.encode(trial.config)),
    chosen.map((trial) => trial.value),
    { seed },
  );

  // One factor per parameter: its value drawn as the optimizer's unit cube sees it, then snapped
  // to a legal configuration (integers rounded, a categorical's one-hot set) before the model. A
  // fixed parameter (low == high, one choice) explains nothing: no factor (its dims stay at 0,
  // which decodes to its value). A categorical's choices are those its trials cover: the model's
  // value for a choice one trial tried is a guess, and drawn as often as the others it decided
  // the ranking (a review saw a one-trial choice rank its parameter first, 0.83 against 0.08 for
  // the one that mattered); a parameter left with one covered choice is held at it, no factor
  // (listed with 0: it explains nothing over the choices the trials cover).
  const configs = chosen.map((trial) => trial.config);
  const coverage = choiceCoverage(encoding, configs);
  const heldAt = new Map<number, number>();
  const held: (typeof encoding.params)[number][] = [];
  const params = encoding.params.filter((param, p) => {
    if (isFixedParam(param.spec)) return false;
    const covered = coverage.get(p)?.covered;
    if (covered?.length === 1) {
      heldAt.set(param.offset, covered[0]!);
      held.push(param);
    }
    return covered === undefined || covered.length > 1;
  });
  if (params.length === 0)
    throw new ImportanceUnavailableError(
      heldAt.size === 0
        ? 'every parameter of the study is fixed: there is nothing to rank'
        : 'every parameter of the study is fixed, or its trials tried one of its choices often enough only: there is nothing to rank',
    );
  const choicesOf = new Map(params.map((param) => [param, coverage.get(encoding.params.indexOf(param))?.covered]));
  const toPoint = (u: Float64Array): Float64Array => {
    const raw = new Float64Array(encoding.dimension);
    for (const [offset, choice] of heldAt) raw[offset + choice] = 1;
    params.forEach((param, k) => {
      const choices = choicesOf.get(param);
      if (choices !== undefined)
        raw[param.offset + choices[Math.min(choices.length - 1, Math.floor(u[k]! * choices.length))]!] = 1;
      else raw[param.offset] = u[k]!;
    });
    return encoding.encode(encoding.decode(raw));
  };
  // Stages with parameters (a parameterless stage explains nothing by construction); one whose
  // parameters are all held has no factor and is listed with 0, as they are.
  const stagesWithParams = space.flatMap((stage, s) => {
    const members = params.flatMap((param, k) => (param.stage === s ? [k] : []));
    return members.length === 0 && !held.some((param) => param.stage === s) ? [] : [{ name: stage.name, members }];
  });
  const factorGroups = stagesWithParams.filter((stage) => stage.members.length > 0);
  const groups = [...params.map((_, k) => [k]), ...factorGroups.map((stage) => stage.members)];
  const samples =
    options.samples ??
    Math.max(256, Math.min(2048, Math.floor(evaluationBudget / ((groups.length + 2) * chosen.length))));
  const { variance, groups: indices } = sobolIndices({
    factors: params.length,
    groups,
    evaluate: (points) => model.predictMean(points.map(toPoint)),
    samples,
    random: createRandom(seed, 0x50b01),
  });
  if (variance === 0)
    throw new ImportanceUnavailableError(
      `the model of the ${target} is flat over the search space (it explains the ${chosen.length} trials as noise): no parameter stands out`,
    );

  const nothing = { firstOrder: 0, firstOrderSe: 0, total: 0, totalSe: 0 };
  const parameters = [
    ...params.map((param, k): ImportanceEntry => ({
      stage: space[param.stage]!.name,
      param: param.spec.name,
      ...indices[k]!,
    })),
    ...held.map((param): ImportanceEntry => ({ stage: space[param.stage]!.name, param: param.spec.name, ...nothing })),
  ].sort((x, y) => y.total - x.total || y.firstOrder - x.firstOrder);
  const stages = stagesWithParams.map((stage): ImportanceEntry => {
    const g = factorGroups.indexOf(stage);
    return { stage: stage.name, ...(g < 0 ? nothing : indices[params.length + g]!) };
  });
  const firstOrderSum = parameters.reduce((sum, entry) => sum + entry.firstOrder, 0);
  const interactions = 1 - firstOrderSum;
  const caution =
    interactions > 0.5 && chosen.length < trialsPerParameter * params.length
      ? `${Math.min(1, interactions).toFixed(2)} of the variance is in interactions, from ${chosen.length} trials for ` +
        `${params.length} parameters: the model has not told the parameters' effects apart, so the ranking ` +
        `is a guess (about ${trialsPerParameter} trials a parameter, ${trialsPerParameter * params.length} here, make it firmer)`
      : null;
  return {
    target,
    trials: chosen.length,
    samples,
    parameters,
    stages,
    firstOrderSum,
    caution,
    warnings: coverageWarnings(encoding, configs, coverage),
  };
}

/** Fewest trials a choice needs (at least this, and a tenth of the trials) not to be flagged. */
const minTrialsPerChoice = 3;
/** Shortest share of its axis the middle 80% of a numeric parameter's trials must span. */
const minSpread = 0.25;

/** A categorical parameter's trials per choice, and the choices enough of them tried (all, when none has enough). */
interface ChoiceCoverage {
  readonly counts: readonly number[];
  readonly needed: number;
  readonly covered: readonly number[];
}

/** {@link ChoiceCoverage} of every non-fixed categorical parameter, by its index in `encoding.params`. */
function choiceCoverage(encoding: SpaceEncoding, configs: readonly Configuration[]): Map<number, ChoiceCoverage> {
  const points = configs.map((config) => encoding.encode(config));
  const needed = Math.max(minTrialsPerChoice, Math.ceil(points.length / 10));
  const coverage = new Map<number, ChoiceCoverage>();
  encoding.params.forEach((param, p) => {
    if (param.spec.type !== 'categorical' || isFixedParam(param.spec)) return;
    const counts = param.spec.choices.map((_, k) => points.filter((x) => x[param.offset + k] === 1).length);
    const enough = counts.flatMap((count, k) => (count >= needed ? [k] : []));
    coverage.set(p, { counts, needed, covered: enough.length > 0 ? enough : counts.map((_, k) => k) });
  });
  return coverage;
}

/** What {@link ImportanceResult.warnings} says, parameter by parameter. */
function coverageWarnings(
  encoding: SpaceEncoding,
  configs: readonly Configuration[],
  coverage: ReadonlyMap<number, ChoiceCoverage>,
): string[] {
  const points = configs.map((config) => encoding.encode(config));
  const warnings: string[] = [];
  encoding.params.forEach((param, p) => {
    if (isFixedParam(param.spec)) return;
    const name = `${encoding.space[param.stage]!.name}.${param.spec.name}`;
    if (param.spec.type === 'categorical') {
      const { counts, needed, covered } = coverage.get(p)!;
      if (counts.every((count) => count >= needed)) return;
      const guess = counts.every((count) => count < needed)
        ? `a choice with fewer than ${needed} is a guess (all are here)`
        : covered.length === 1
          ? `a choice with fewer than ${needed} is a guess, left out of the ranking: the parameter is held at ${JSON.stringify(param.spec.choices[covered[0]!])}`
          : `a choice with fewer than ${needed} is a guess, left out of the ranking`;
      warnings.push(
        `${name}: ${param.spec.choices.map((choice, k) => `${JSON.stringify(choice)} ${counts[k]}`).join(', ')} trials; ${guess}`,
      );
      return;
    }
    const values = points.map((x) => x[param.offset]!).sort((a, b) => a - b);
    const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))]!;
    const spread = at(0.9) - at(0.1);
    if (spread < minSpread)
      warnings.push(
        `${name}: 80% of the trials lie within ${Math.round(spread * 100)}% of its range; its effect elsewhere is a guess`,
      );
  });
  return warnings;
}
