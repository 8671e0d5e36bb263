/**
 * Enqueued configurations that leave parameters out, as Optuna's `enqueue_trial` with some of a
 * trial's parameters: the user fixes what they care about and the optimizer's suggestion for that
 * trial gives the rest (Optuna's samplers fill a partial enqueued trial the same way). Validated
 * with `configurationProblems(space, config, limit, { partial: true })` (./validate.ts).
 */
import type { Configuration, SearchSpace } from '../core/types.js';

/** `config` with `{}` for the stages it leaves out at its end: one record per stage. */
export function padStages(space: SearchSpace, config: Configuration): Configuration {
  if (config.length >= space.length) return config;
  return [...config, ...space.slice(config.length).map(() => ({}))];
}

/** Whether `config` gives every parameter of every stage (it needs no filling). */
export function isComplete(space: SearchSpace, config: Configuration): boolean {
  return space.every((stage, s) => stage.params.every((spec) => Object.hasOwn(config[s] ?? {}, spec.name)));
}

/**
 * The complete configuration: `partial`'s values where it gives them, `suggestion`'s elsewhere.
 * Each stage's parameters are listed in the space's order, as a suggestion's are.
 */
export function fillConfiguration(
  space: SearchSpace,
  partial: Configuration,
  suggestion: Configuration,
): Configuration {
  return space.map((stage, s) => {
    const given = partial[s] ?? {};
    return Object.fromEntries(
      stage.params.map((spec) => [
        spec.name,
        Object.hasOwn(given, spec.name) ? given[spec.name]! : suggestion[s]![spec.name]!,
      ]),
    );
  });
}

/**
 * Whether `config` has every value `candidate` gives: for a complete candidate, the same
 * configuration; for a partial one, any configuration that agrees on what it fixes (how
 * `skipExisting` tells that an enqueued configuration is there already).
 */
export function hasGivenValues(candidate: Configuration, config: Configuration): boolean {
  return candidate.every((values, s) => {
    const stage = config[s];
    return (
      stage !== undefined &&
      Object.entries(values).every(([name, value]) => Object.hasOwn(stage, name) && stage[name] === value)
    );
  });
}
