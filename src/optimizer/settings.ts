import { closestKey } from '../core/closest-key.js';
import { reusesPrefixes } from '../core/methods.js';
import type {
  FailedTrialPolicy,
  MethodName,
  OptimizerSettings,
  PrunedTrialPolicy,
  UnpinnedSearch,
} from '../core/types.js';
import * as limits from '../space/limits.js';

/** The values of {@link OptimizerSettings.failedTrials}. */
export const failedTrialPolicies: readonly FailedTrialPolicy[] = ['ignore', 'worst'];
/** The values of {@link OptimizerSettings.prunedTrials}. */
export const prunedTrialPolicies: readonly PrunedTrialPolicy[] = ['reported', 'asFailed'];

/** Every acquisition family of the spec, in the order of its table. */
export const methodNames = Object.freeze([
  'eeipu',
  'ms-carbo',
  'carbo',
  'eips',
  'ei',
  'random',
  'pbgi',
  'pbgi-memo',
] as const) satisfies readonly MethodName[];

/** Why `method` is refused (the study-config schema's enum says the same). */
export const unknownMethodMessage = `must be one of ${methodNames.join(', ')}`;
export const unpinnedCheckMessage = "must be true, false or 'guarded'";
/** The values of `unpinnedSearch`. */
export const unpinnedSearchValues = ['shared', 'full', 'auto'] as const satisfies readonly UnpinnedSearch[];
export const unpinnedSearchMessage = "must be 'shared', 'full' or 'auto'";

/**
 * The range of each count setting: [least, most]. Warm-up and topQ start at 1 (warm-up 0 would
 * only relabel the first design point as a BO trial, and leave the benchmarks' "best after
 * warm-up" undefined; topQ 0 is `ms-carbo`); restarts start at 0 (no local refinement at all: the
 * raw samples decide). The upper ends are the effort limits of `limits.ts`.
 */
const countRanges = {
  warmup: [1, limits.maxWarmup],
  topQ: [1, limits.maxPerPrefix],
  mcSamples: [1, limits.maxSamples],
  rawSamples: [1, limits.maxSamples],
  restarts: [0, limits.maxRestarts],
  startsPerPrefix: [1, limits.maxPerPrefix],
} as const satisfies Partial<Record<keyof OptimizerSettings, readonly [number, number]>>;

/**
 * Why `value` cannot be the setting `key`; undefined when it can. The one rule of each setting:
 * the study-config schema and the synthetic spec schema report it at their own paths (e.g.
 * `optimizer.topQ: must be at least 1`), {@link resolveSettings} throws it as `topQ must be at
 * least 1`.
 */
export function settingProblem(key: keyof OptimizerSettings, value: unknown): string | undefined {
  if (key === 'method') return methodNames.includes(value as MethodName) ? undefined : unknownMethodMessage;
  if (key === 'eta') {
    if (value === null) return undefined;
    return typeof value === 'number' && value >= 0 && value <= 1 ? undefined : 'must be in [0, 1]';
  }
  if (key === 'failedTrials')
    return failedTrialPolicies.includes(value as FailedTrialPolicy)
      ? undefined
      : `must be one of ${failedTrialPolicies.join(', ')}`;
  if (key === 'prunedTrials')
    return prunedTrialPolicies.includes(value as PrunedTrialPolicy)
      ? undefined
      : `must be one of ${prunedTrialPolicies.join(', ')}`;
  if (key === 'costAwareStopping' || key === 'localSearchFromBest' || key === 'keepReuseSaving')
    return typeof value === 'boolean' ? undefined : 'must be true or false';
  if (key === 'unpinnedCheck')
    return typeof value === 'boolean' || value === 'guarded' ? undefined : unpinnedCheckMessage;
  if (key === 'unpinnedSearch')
    return unpinnedSearchValues.includes(value as UnpinnedSearch) ? undefined : unpinnedSearchMessage;
  if (key === 'stoppingCostWeight') {
    if (value === null) return undefined;
    return typeof value === 'number' && Number.isFinite(value) && value > 0
      ? undefined
      : 'must be a finite number greater than 0, or null';
  }
  if (typeof value !== 'number' || Number.isNaN(value)) return 'must be a number';
  if (key === 'refitGrowth') {
    if (!Number.isFinite(value)) return 'must be finite';
    if (value < 0) return 'must not be negative';
    return value > limits.maxRefitGrowth ? `must be at most ${limits.maxRefitGrowth}` : undefined;
  }
  if (key === 'epsilon') {
    if (!Number.isFinite(value)) return 'must be finite';
    if (value < 0) return 'must not be negative';
    return value > limits.maxBudget ? `must be at most ${limits.maxBudget}` : undefined;
  }
  const [least, most] = countRanges[key];
  if (!Number.isInteger(value)) return 'must be an integer';
  if (value < least) return `must be at least ${least}`;
  return value > most ? `must be at most ${most}` : undefined;
}

/**
 * Fills in every default of {@link OptimizerSettings} (the only place defaults live) and checks
 * the values ({@link settingProblem}).
 *
 * Defaults: method `'eeipu'`, warmup 10, epsilon 0.1, topQ 5, mcSamples 1000, rawSamples 512,
 * restarts 10, startsPerPrefix 1, eta null (budget-linear), refitGrowth 0.1, unpinnedCheck 'guarded',
 * unpinnedSearch 'auto', localSearchFromBest true, keepReuseSaving false, failedTrials 'worst', prunedTrials 'reported',
 * costAwareStopping false, stoppingCostWeight null (scaled to the study: see
 * {@link OptimizerSettings.stoppingCostWeight}).
 *
 * @throws {RangeError} naming the first key that is not a setting, with the setting it most
 *   resembles (`settings.warmpu: unknown setting (did you mean "warmup"?)`), as the study-config
 *   schema refuses it; else naming the first setting out of its range, e.g. `topQ must be at least 1`.
 */
export function resolveSettings(settings: OptimizerSettings): Required<OptimizerSettings> {
  const resolved: Required<OptimizerSettings> = {
    method: settings.method ?? 'eeipu',
    warmup: settings.warmup ?? 10,
    epsilon: settings.epsilon ?? 0.1,
    topQ: settings.topQ ?? 5,
    mcSamples: settings.mcSamples ?? 1000,
    rawSamples: settings.rawSamples ?? 512,
    restarts: settings.restarts ?? 10,
    startsPerPrefix: settings.startsPerPrefix ?? 1,
    eta: settings.eta ?? null,
    refitGrowth: settings.refitGrowth ?? 0.1,
    unpinnedCheck: settings.unpinnedCheck ?? 'guarded',
    unpinnedSearch: settings.unpinnedSearch ?? 'auto',
    localSearchFromBest: settings.localSearchFromBest ?? true,
    keepReuseSaving: settings.keepReuseSaving ?? false,
    failedTrials: settings.failedTrials ?? 'worst',
    prunedTrials: settings.prunedTrials ?? 'reported',
    costAwareStopping: settings.costAwareStopping ?? false,
    stoppingCostWeight: settings.stoppingCostWeight ?? null,
  };
  // A misspelled key would otherwise silently leave its setting at the default.
  const known = Object.keys(resolved);
  const unknown = Object.keys(settings).find((key) => !Object.hasOwn(resolved, key));
  if (unknown !== undefined) {
    const near = closestKey(unknown, known);
    throw new RangeError(
      `settings.${unknown}: unknown setting${near === undefined ? '' : ` (did you mean "${near}"?)`}`,
    );
  }
  for (const key of Object.keys(resolved) as (keyof OptimizerSettings)[]) {
    const problem = settingProblem(key, resolved[key]);
    if (problem !== undefined) throw new RangeError(`${key} ${problem}`);
  }
  return resolved;
}

/** A setting whose effort on this space is out of bounds, and why. */
export interface EffortIssue {
  readonly key: keyof OptimizerSettings;
  readonly message: string;
}

/**
 * What one suggestion would cost with these settings on a space of `stages` stages and
 * `dimension` encoded dimensions, against the limits: Monte-Carlo cost draws, the raw Sobol block,
 * local refinements. The per-setting ranges alone would allow suggestions that run for hours or
 * exhaust memory. The study-config schema reports these; `suggest` throws the first.
 */
export function effortIssues(settings: Required<OptimizerSettings>, stages: number, dimension: number): EffortIssue[] {
  const { method, mcSamples, rawSamples, restarts, startsPerPrefix, topQ } = settings;
  if (method === 'random') return [];
  const issues: EffortIssue[] = [];
  const draws = mcSamples * rawSamples;
  if (draws > limits.maxMonteCarloDraws) {
    issues.push({
      key: 'mcSamples',
      message:
        `mcSamples × rawSamples must be at most ${limits.maxMonteCarloDraws} cost draws per stage and ` +
        `suggestion (is ${draws})`,
    });
  }
  const values = rawSamples * dimension;
  if (values > limits.maxRawSampleValues) {
    issues.push({
      key: 'rawSamples',
      message:
        `rawSamples × ${dimension} encoded dimensions must be at most ${limits.maxRawSampleValues} values per ` +
        `suggestion (is ${values}): at most ${Math.floor(limits.maxRawSampleValues / dimension)} raw samples here`,
    });
  }
  // eeipu and pbgi-memo refine from every pooled prefix: ∅ plus the proper prefixes of the top-Q trials.
  const prefixes = reusesPrefixes(method) ? 1 + topQ * (stages - 1) : 1;
  // unpinnedSearch 'full' (and 'auto', in the steps where it acts as 'full') gives the unpinned
  // search its own restarts − 1 runs besides the shared ones.
  const twice = (settings.unpinnedSearch === 'full' || settings.unpinnedSearch === 'auto') && prefixes > 1;
  const fromBest = settings.localSearchFromBest && restarts > 0 ? 1 : 0;
  const searches = prefixes * startsPerPrefix + (twice ? 2 : 1) * restarts + fromBest;
  if (searches * dimension > limits.maxLocalSearchWork) {
    issues.push({
      key: 'restarts',
      message:
        `local searches × ${dimension} encoded dimensions must be at most ${limits.maxLocalSearchWork} per ` +
        `suggestion (is ${searches * dimension}: ${twice ? `2 × restarts (unpinnedSearch ${settings.unpinnedSearch})` : 'restarts'} + ` +
        `startsPerPrefix × up to ${prefixes} prefixes pooled by topQ${fromBest ? ' + 1 from the best configuration (localSearchFromBest)' : ''})`,
    });
  }
  return issues;
}

/**
 * The initial design of a study whose trials the optimizer models: its warm-up trials (the
 * optimizer's seeded design points, or enqueued configurations in their place). 0 for `random`,
 * which models nothing. The loop's warm-up barrier ablation (`awaitsInitialDesign` in
 * src/core/study-loop.ts) waits for it.
 */
export function initialDesignSize(settings: OptimizerSettings): number {
  const { method, warmup } = resolveSettings(settings);
  return method === 'random' ? 0 : warmup;
}
