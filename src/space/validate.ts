import type { Configuration, ParamSpec, ParamValue, SearchSpace } from '../core/types.js';
import {
  maxChoiceBytes,
  maxChoices,
  maxConfigurationBytes,
  maxDimensions,
  maxNameLength,
  maxParams,
  maxParamsPerStage,
  maxSpaceBytes,
  maxStages,
} from './limits.js';

// JSON quoting: a name's control characters reach a message escaped, never raw.
function where(stage: string, param?: string): string {
  const quoted = JSON.stringify(stage);
  return param === undefined ? `stage ${quoted}` : `stage ${quoted} param ${JSON.stringify(param)}`;
}

/** UTF-8 length of `text` (a lone surrogate counts as the 3-byte replacement character). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** UTF-8 bytes of `JSON.stringify(value)`: what the value weighs in a Temporal payload. */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value) ?? '');
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Characters a name must not contain: C0 controls, DEL, C1 controls (ESC and CSI start terminal
 * escape sequences), the line and paragraph separators, and the bidirectional formatting
 * characters that make one name display as another.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const forbiddenInNames = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

/** Index of the first lone surrogate (UTF-8 cannot carry it: two names would collapse into one), or -1. */
function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      if (i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) i++;
      else return i;
    } else if (isLowSurrogate(code)) return i;
  }
  return -1;
}

function codePoint(text: string, index: number): string {
  return `U+${text.charCodeAt(index).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Why `text` cannot be a name or an id; undefined when it can: it must be non-empty, at most
 * `maxLength` characters, free of control characters and well-formed unicode.
 */
export function textProblem(text: string, maxLength: number): string | undefined {
  if (text === '') return 'must not be empty';
  if (text.length > maxLength) return `must be at most ${maxLength} characters`;
  const control = forbiddenInNames.exec(text);
  if (control !== null)
    return `must not contain control characters (${codePoint(text, control.index)} at ${control.index})`;
  const lone = loneSurrogateAt(text);
  if (lone >= 0) return `must be well-formed unicode (lone surrogate ${codePoint(text, lone)} at ${lone})`;
  return undefined;
}

/**
 * Why `name` cannot name a study, pipeline, stage, parameter, metric, implementation or version;
 * undefined when it can (see {@link textProblem}; at most {@link maxNameLength} characters).
 * `/` and `..` are allowed: names are hashed into cache keys and never become paths or ids.
 */
export function nameProblem(name: string): string | undefined {
  // Names become keys of plain records (configurations, stage maps).
  return textProblem(name, maxNameLength) ?? (name === '__proto__' ? 'is reserved ("__proto__")' : undefined);
}

/** Why `choice` cannot be a categorical choice (beyond its type); undefined when it can. */
export function choiceProblem(choice: ParamValue): string | undefined {
  const bytes = jsonBytes(choice);
  if (bytes > maxChoiceBytes) return `must be at most ${maxChoiceBytes} bytes of JSON (is ${bytes})`;
  if (typeof choice === 'string') {
    const lone = loneSurrogateAt(choice);
    if (lone >= 0) return `must be well-formed unicode (lone surrogate ${codePoint(choice, lone)} at ${lone})`;
  }
  return undefined;
}

/** Encoded dimension of a space: one per float or int parameter, one per categorical choice. */
export function encodedDimension(space: SearchSpace): number {
  let dimension = 0;
  for (const stage of space)
    for (const spec of stage.params) dimension += spec.type === 'categorical' ? spec.choices.length : 1;
  return dimension;
}

/** Longest JSON of a float: sign, 17 digits, a point and a 3-digit exponent (`-1.2345678901234567e-308`). */
const maxNumberJsonBytes = 24;

/**
 * Upper bound of the UTF-8 bytes of any configuration of `space` as JSON: each parameter's key
 * plus its longest value (its longest choice, the wider int bound, or the longest float).
 */
export function configurationBytesBound(space: SearchSpace): number {
  let bytes = 2 + Math.max(0, space.length - 1);
  for (const stage of space) {
    bytes += 2 + Math.max(0, stage.params.length - 1);
    for (const spec of stage.params) {
      let value = maxNumberJsonBytes;
      if (spec.type === 'categorical') value = spec.choices.reduce<number>((max, c) => Math.max(max, jsonBytes(c)), 0);
      else if (spec.type === 'int') value = Math.max(jsonBytes(spec.low), jsonBytes(spec.high));
      bytes += jsonBytes(spec.name) + 1 + value;
    }
  }
  return bytes;
}

/** One broken limit: `path` is relative to the space (`[1, 'params', 0, 'choices']`; `[]` for the whole space). */
export interface SpaceIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Every limit of `limits.ts` that a structurally valid space breaks: counts of stages, parameters,
 * choices and encoded dimensions, names, the bytes of each choice, of the space and of its largest
 * configuration. The study-config schema reports these with their config paths; `validateSpace`
 * throws the first.
 */
export function spaceLimitIssues(space: SearchSpace): SpaceIssue[] {
  const issues: SpaceIssue[] = [];
  if (space.length > maxStages)
    issues.push({ path: [], message: `must have at most ${maxStages} stages (has ${space.length})` });
  let params = 0;
  space.forEach((stage, s) => {
    const stageName = nameProblem(stage.name);
    if (stageName !== undefined) issues.push({ path: [s, 'name'], message: stageName });
    if (stage.params.length > maxParamsPerStage) {
      issues.push({
        path: [s, 'params'],
        message: `must have at most ${maxParamsPerStage} parameters (has ${stage.params.length})`,
      });
    }
    params += stage.params.length;
    stage.params.forEach((spec, p) => {
      const paramName = nameProblem(spec.name);
      if (paramName !== undefined) issues.push({ path: [s, 'params', p, 'name'], message: paramName });
      if (spec.type !== 'categorical') return;
      if (spec.choices.length > maxChoices) {
        issues.push({
          path: [s, 'params', p, 'choices'],
          message: `must list at most ${maxChoices} choices (has ${spec.choices.length})`,
        });
        return;
      }
      spec.choices.forEach((choice, k) => {
        const problem = choiceProblem(choice);
        if (problem !== undefined) issues.push({ path: [s, 'params', p, 'choices', k], message: problem });
      });
    });
  });
  if (params > maxParams) {
    issues.push({ path: [], message: `must have at most ${maxParams} parameters in all stages (has ${params})` });
  }
  if (issues.length > 0) return issues;
  const dimension = encodedDimension(space);
  if (dimension > maxDimensions) {
    issues.push({
      path: [],
      message:
        `must encode to at most ${maxDimensions} dimensions, one per float or int and one per categorical ` +
        `choice (is ${dimension})`,
    });
  }
  const spaceBytes = jsonBytes(space);
  if (spaceBytes > maxSpaceBytes) {
    issues.push({
      path: [],
      message:
        `must be at most ${maxSpaceBytes} bytes of JSON, names and parameters (is ${spaceBytes}): ` +
        'every trial carries them',
    });
  }
  const configBytes = configurationBytesBound(space);
  if (configBytes > maxConfigurationBytes) {
    issues.push({
      path: [],
      message:
        `must give configurations of at most ${maxConfigurationBytes} bytes of JSON (can give ${configBytes}): ` +
        'shorten parameter names or choices',
    });
  }
  return issues;
}

/** `[1, 'params', 0, 'choices', 3]` → `stage "train" param "opt" choices[3]` (for RangeError messages). */
function describeIssue(space: SearchSpace, issue: SpaceIssue): string {
  const [s, , p, ...rest] = issue.path;
  if (typeof s !== 'number') return `search space: ${issue.message}`;
  const stage = space[s]!;
  if (typeof p !== 'number') return `${where(stage.name)}: ${issue.path.slice(1).join('.')} ${issue.message}`;
  const field = rest.map((part) => (typeof part === 'number' ? `[${part}]` : part)).join('');
  return `${where(stage.name, stage.params[p]!.name)}: ${field} ${issue.message}`;
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
      // (v − low)/(high − low) must stay finite for the unit-cube encoding.
      if (!Number.isFinite(spec.high - spec.low)) throw new RangeError(`${at}: high - low must be finite`);
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
 * low < high, integer bounds for ints, low > 0 on log scale, non-empty distinct choices — and
 * within every limit of `limits.ts` ({@link spaceLimitIssues}).
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
  const [first] = spaceLimitIssues(space);
  if (first !== undefined) throw new RangeError(describeIssue(space, first));
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
