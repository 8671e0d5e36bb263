import type { Configuration, ParamSpec, ParamValue, SearchSpace } from '../core/types.js';

function where(stage: string, param?: string): string {
  return param === undefined ? `stage "${stage}"` : `stage "${stage}" param "${param}"`;
}

function validateParam(stage: string, spec: ParamSpec): void {
  const at = where(stage, spec.name);
  switch (spec.type) {
    case 'float':
    case 'int': {
      if (!Number.isFinite(spec.low) || !Number.isFinite(spec.high)) {
        throw new RangeError(`${at}: bounds must be finite`);
      }
      if (!(spec.low < spec.high)) throw new RangeError(`${at}: low must be below high`);
      if (spec.type === 'int' && (!Number.isSafeInteger(spec.low) || !Number.isSafeInteger(spec.high))) {
        throw new RangeError(`${at}: int bounds must be integers`);
      }
      if (spec.log === true && !(spec.low > 0)) throw new RangeError(`${at}: log scale needs low > 0`);
      return;
    }
    case 'categorical': {
      if (!Array.isArray(spec.choices) || spec.choices.length === 0) {
        throw new RangeError(`${at}: choices must be a non-empty array`);
      }
      const seen = new Set<string>();
      for (const choice of spec.choices) {
        const ok =
          typeof choice === 'string' ||
          typeof choice === 'boolean' ||
          (typeof choice === 'number' && Number.isFinite(choice));
        if (!ok) throw new RangeError(`${at}: choices must be finite numbers, strings or booleans`);
        const key = `${typeof choice}:${String(choice)}`;
        if (seen.has(key)) throw new RangeError(`${at}: duplicate choice ${JSON.stringify(choice)}`);
        seen.add(key);
      }
      return;
    }
    default:
      throw new RangeError(`${at}: unknown type ${JSON.stringify((spec as { type?: unknown }).type)}`);
  }
}

/**
 * Checks that a search space is well formed: at least one stage and one parameter overall,
 * non-empty unique stage names, unique parameter names within a stage, finite bounds with
 * low < high, integer bounds for ints, low > 0 on log scale, non-empty distinct choices.
 *
 * @throws {RangeError} naming the offending stage and parameter, e.g.
 *   `stage "train" param "lr": log scale needs low > 0`.
 */
export function validateSpace(space: SearchSpace): void {
  if (!Array.isArray(space) || space.length === 0) throw new RangeError('search space must have at least one stage');
  const stageNames = new Set<string>();
  let total = 0;
  space.forEach((stage, index) => {
    if (typeof stage?.name !== 'string' || stage.name === '') {
      throw new RangeError(`stage ${index}: name must be a non-empty string`);
    }
    if (stageNames.has(stage.name)) throw new RangeError(`${where(stage.name)}: duplicate stage name`);
    stageNames.add(stage.name);
    if (!Array.isArray(stage.params)) throw new RangeError(`${where(stage.name)}: params must be an array`);
    const names = new Set<string>();
    for (const spec of stage.params) {
      if (typeof spec?.name !== 'string' || spec.name === '') {
        throw new RangeError(`${where(stage.name)}: param name must be a non-empty string`);
      }
      // Configurations are plain records keyed by param name: "__proto__" would set the prototype
      // instead of a value.
      if (spec.name === '__proto__') throw new RangeError(`${where(stage.name, spec.name)}: reserved param name`);
      if (names.has(spec.name)) throw new RangeError(`${where(stage.name, spec.name)}: duplicate param name`);
      names.add(spec.name);
      validateParam(stage.name, spec);
      total++;
    }
  });
  if (total === 0) throw new RangeError('search space has no parameters');
}

/** True when `value` is a legal value of `spec` (exact: ints must be integers, choices must match). */
export function isValidValue(spec: ParamSpec, value: ParamValue | undefined): boolean {
  switch (spec.type) {
    case 'float':
      return typeof value === 'number' && value >= spec.low && value <= spec.high;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= spec.low && value <= spec.high;
    case 'categorical':
      return spec.choices.some((choice) => choice === value);
  }
}

/**
 * Checks that a configuration has one record per stage with a legal value for every parameter.
 * Extra keys are rejected too: they would silently break exact-match caching.
 *
 * @throws {RangeError} naming the offending stage and parameter.
 */
export function validateConfiguration(space: SearchSpace, config: Configuration): void {
  if (!Array.isArray(config) || config.length !== space.length) {
    throw new RangeError(`configuration must have ${space.length} stages`);
  }
  space.forEach((stage, s) => {
    const values = config[s];
    if (values === null || typeof values !== 'object')
      throw new RangeError(`${where(stage.name)}: values must be an object`);
    for (const spec of stage.params) {
      if (!isValidValue(spec, values[spec.name])) {
        throw new RangeError(`${where(stage.name, spec.name)}: invalid value ${JSON.stringify(values[spec.name])}`);
      }
    }
    for (const key of Object.keys(values)) {
      if (!stage.params.some((spec) => spec.name === key)) {
        throw new RangeError(`${where(stage.name, key)}: not in the search space`);
      }
    }
  });
}
