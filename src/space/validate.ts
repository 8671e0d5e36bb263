import { closestKey } from '../core/closest-key.js';
import { formatIssuePath } from '../core/issue-path.js';
import type { Configuration, ParamSpec, ParamValue, SearchSpace } from '../core/types.js';
import { isOnGrid, isStepped, stepIssue } from './grid.js';
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
    // Control and bidirectional characters as in names: a choice is printed in tables, CSV and the
    // UI's trial summaries (a review's U+202E showed `lr=0.26 fail=no` reversed; a newline broke
    // `study trials`' rows).
    const control = forbiddenInNames.exec(choice);
    if (control !== null)
      return `must not contain control characters (${codePoint(choice, control.index)} at ${control.index})`;
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

/**
 * One broken rule: `path` is relative to the space (`[1, 'params', 0, 'choices']`; `[]` for the
 * whole space), or to the parameter for {@link paramIssues}.
 */
export interface SpaceIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Every limit of `limits.ts` that a structurally valid space breaks: counts of stages, parameters,
 * choices and encoded dimensions, names, the bytes of each choice, of the space and of its largest
 * configuration. Part of {@link searchSpaceIssues}; the study-config and synthetic-spec schemas
 * report these with their own paths.
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

/** `[1, 'params', 0, 'choices', 3]` → `stage "train" param "opt": choices[3]: …` (for RangeError messages). */
function describeIssue(space: SearchSpace, issue: SpaceIssue): string {
  const [s, , p, ...rest] = issue.path;
  if (typeof s !== 'number') return `search space: ${issue.message}`;
  const stage: unknown = space[s];
  const stageName = (stage as { name?: unknown } | null)?.name;
  const params = (stage as { params?: unknown } | null)?.params;
  const paramName =
    typeof p === 'number' && Array.isArray(params) ? (params[p] as { name?: unknown })?.name : undefined;
  const at =
    typeof stageName !== 'string'
      ? `stage ${s}`
      : typeof p === 'number' && typeof paramName === 'string'
        ? where(stageName, paramName)
        : typeof p === 'number'
          ? `${where(stageName)} param ${p}`
          : where(stageName);
  const fields = typeof p === 'number' ? rest : issue.path.slice(1);
  return fields.length === 0 ? `${at}: ${issue.message}` : `${at}: ${formatIssuePath(fields)}: ${issue.message}`;
}

/** A categorical choice's type: a finite number, a string or a boolean. */
function isChoice(value: unknown): boolean {
  return (
    typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
  );
}

/** Whether a (valid) parameter has one value only: low == high, or a single choice. */
export function isFixedParam(spec: ParamSpec): boolean {
  return spec.type === 'categorical' ? spec.choices.length === 1 : spec.low === spec.high;
}

/**
 * The rules of one parameter's own values (its name aside: {@link nameProblem} and
 * {@link spaceStructureIssues}), with paths relative to the parameter: finite bounds with
 * low ≤ high and a finite high − low (the unit-cube encoding divides by it), safe-integer bounds for
 * ints, low > 0 on log scale, a step that divides high − low (not with log); at least one choice, each a finite number, string or boolean within
 * {@link choiceProblem}, no two alike. The study-config schema, the synthetic spec schema and
 * {@link validateSpace} all apply these.
 */
export function paramIssues(spec: ParamSpec): SpaceIssue[] {
  const issues: SpaceIssue[] = [];
  switch (spec.type) {
    case 'float':
    case 'int': {
      if (!Number.isFinite(spec.low)) issues.push({ path: ['low'], message: 'must be finite' });
      if (!Number.isFinite(spec.high)) issues.push({ path: ['high'], message: 'must be finite' });
      if (issues.length > 0) return issues;
      // low == high fixes the parameter (Optuna allows it too): one value, still recorded per trial.
      if (spec.low > spec.high) {
        issues.push({ path: ['low'], message: `must be at most high (${spec.low} > ${spec.high})` });
      }
      if (spec.type === 'int' && (!Number.isSafeInteger(spec.low) || !Number.isSafeInteger(spec.high))) {
        issues.push({ path: ['low'], message: 'int bounds must be safe integers' });
      }
      // (v − low)/(high − low) must stay finite for the unit-cube encoding.
      if (!Number.isFinite(spec.high - spec.low)) {
        issues.push({ path: ['high'], message: 'high - low must be a finite number' });
      }
      if (spec.log === true && spec.low <= 0) {
        issues.push({ path: ['low'], message: 'must be positive for a log-scale parameter' });
      }
      if (issues.length > 0) return issues;
      const step = stepIssue(spec);
      if (step !== undefined) issues.push({ path: [step.field], message: step.message });
      return issues;
    }
    case 'categorical': {
      if (!Array.isArray(spec.choices)) return [{ path: ['choices'], message: 'must be a list of choices' }];
      if (spec.choices.length === 0) return [{ path: ['choices'], message: 'must list at least one choice' }];
      // Too many choices is a limit (spaceLimitIssues); a hundred thousand duplicates need no line each.
      if (spec.choices.length > maxChoices) return issues;
      const seen = new Set<string>();
      spec.choices.forEach((choice, index) => {
        const path = ['choices', index];
        if (!isChoice(choice)) {
          issues.push({ path, message: 'must be a number, string or boolean' });
          return;
        }
        const problem = choiceProblem(choice);
        if (problem !== undefined) {
          issues.push({ path, message: problem });
          return;
        }
        const key = JSON.stringify(choice);
        if (seen.has(key)) issues.push({ path, message: `duplicate choice ${key}` });
        seen.add(key);
      });
      return issues;
    }
    default:
      return [{ path: ['type'], message: "must have a 'type' of float, int or categorical" }];
  }
}

/** A name inside a message: quoted, its control characters escaped. */
function quoted(name: string): string {
  return `'${JSON.stringify(name).slice(1, -1)}'`;
}

/**
 * The rules across stages, with paths relative to the space: at least one stage, unique stage
 * names, unique parameter names within a stage, and at least one parameter in all. (Each
 * parameter's values: {@link paramIssues}; names and sizes: {@link spaceLimitIssues}.)
 */
export function spaceStructureIssues(
  space: readonly { readonly name: string; readonly params: readonly { readonly name: string }[] }[],
): SpaceIssue[] {
  if (space.length === 0) return [{ path: [], message: 'must have at least one stage' }];
  const issues: SpaceIssue[] = [];
  const stageIndex = new Map<string, number>();
  let params = 0;
  space.forEach((stage, s) => {
    const first = stageIndex.get(stage.name);
    if (first !== undefined) {
      issues.push({ path: [s, 'name'], message: `duplicate stage name ${quoted(stage.name)} (also stages[${first}])` });
    } else stageIndex.set(stage.name, s);
    const names = new Set<string>();
    stage.params.forEach((spec, p) => {
      if (names.has(spec.name)) {
        issues.push({ path: [s, 'params', p, 'name'], message: `duplicate parameter name ${quoted(spec.name)}` });
      }
      names.add(spec.name);
    });
    params += stage.params.length;
  });
  if (params === 0) issues.push({ path: [], message: 'at least one stage must have a parameter to tune' });
  return issues;
}

/** Shape problems of a space that did not come through a schema (plain JS callers of `suggest`). */
function shapeIssues(space: unknown): SpaceIssue[] {
  if (!Array.isArray(space)) return [{ path: [], message: 'must be a list of stages' }];
  const issues: SpaceIssue[] = [];
  space.forEach((stage: unknown, s) => {
    if (stage === null || typeof stage !== 'object') {
      issues.push({ path: [s], message: 'must be an object' });
      return;
    }
    const { name, params } = stage as { name?: unknown; params?: unknown };
    if (typeof name !== 'string') issues.push({ path: [s, 'name'], message: 'is required and must be a string' });
    if (!Array.isArray(params)) {
      issues.push({ path: [s, 'params'], message: 'is required and must be a list of parameters' });
      return;
    }
    params.forEach((spec: unknown, p) => {
      if (spec === null || typeof spec !== 'object')
        issues.push({ path: [s, 'params', p], message: 'must be an object' });
      else if (typeof (spec as { name?: unknown }).name !== 'string') {
        issues.push({ path: [s, 'params', p, 'name'], message: 'is required and must be a string' });
      }
    });
  });
  return issues;
}

/**
 * Every rule a search space must satisfy, with paths relative to the space: its shape,
 * {@link spaceStructureIssues}, each parameter's {@link paramIssues}, and — once those hold —
 * every limit of `limits.ts` ({@link spaceLimitIssues}). The one source of these rules: the
 * study-config and synthetic-spec schemas report the same issues at their own paths, and
 * {@link validateSpace} (the optimizer's check) throws the first.
 */
export function searchSpaceIssues(space: SearchSpace): SpaceIssue[] {
  const shape = shapeIssues(space);
  if (shape.length > 0) return shape;
  const issues = spaceStructureIssues(space);
  space.forEach((stage, s) =>
    stage.params.forEach((spec, p) => {
      for (const issue of paramIssues(spec)) {
        issues.push({ path: [s, 'params', p, ...issue.path], message: issue.message });
      }
    }),
  );
  return issues.length > 0 ? issues : spaceLimitIssues(space);
}

/**
 * Checks that a search space is well formed ({@link searchSpaceIssues}).
 *
 * @throws {RangeError} for the first issue, naming the offending stage, parameter and field, e.g.
 *   `stage "train" param "lr": low: must be positive for a log-scale parameter`.
 */
export function validateSpace(space: SearchSpace): void {
  const [first] = searchSpaceIssues(space);
  if (first !== undefined) throw new RangeError(describeIssue(space, first));
}

/** True when `value` is a legal value of `spec` (exact: ints must be integers, choices must match). */
/**
 * Whether `value` lies in [low, high], a float up to rounding at either bound (four ulps of the
 * bound): `10 ** -4` is 0.00009999999999999999, and a low of 1e-4 must not refuse it.
 */
function inRange(value: number, low: number, high: number): boolean {
  const slack = (bound: number) => 4 * Number.EPSILON * Math.abs(bound);
  return value >= low - slack(low) && value <= high + slack(high);
}

export function isValidValue(spec: ParamSpec, value: ParamValue | undefined): boolean {
  switch (spec.type) {
    case 'float':
      return (
        typeof value === 'number' && inRange(value, spec.low, spec.high) && (!isStepped(spec) || isOnGrid(spec, value))
      );
    case 'int':
      return (
        typeof value === 'number' &&
        Number.isInteger(value) &&
        value >= spec.low &&
        value <= spec.high &&
        (!isStepped(spec) || isOnGrid(spec, value))
      );
    case 'categorical':
      return spec.choices.some((choice) => choice === value);
  }
}

/** Most problems one configuration's error lists (a wholly wrong configuration would list 1,024). */
const maxReportedProblems = 5;

/** Longest text of a user's value or key shown in a message. */
const maxShownLength = 60;

/** Longest list of choices shown in a message (it names how many more there are). */
const maxShownChoicesLength = 120;

/** `value` as a message shows it: numbers as written (`NaN`, `1e-7`), the rest as JSON, cut short. */
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // A BigInt or a cycle (plain JS callers): its type is all the message needs.
  }
  if (text === undefined) return `a ${typeof value}`;
  if (text.length <= maxShownLength) return text;
  let end = maxShownLength - 3;
  // Never cut a surrogate pair in two.
  if (isLowSurrogate(text.charCodeAt(end))) end--;
  return `${text.slice(0, end)}...`;
}

/** `["relu", "tanh"]`, or its first choices and how many more. */
function shownChoices(choices: readonly ParamValue[]): string {
  const parts: string[] = [];
  let length = 0;
  for (const choice of choices) {
    const text = shown(choice);
    if (parts.length > 0 && length + text.length > maxShownChoicesLength) break;
    parts.push(text);
    length += text.length + 2;
  }
  const more = choices.length - parts.length;
  return `[${parts.join(', ')}${more > 0 ? `, ... (${more} more)` : ''}]`;
}

/** ` (did you mean "epochs"?)` when `key` is a likely typo of one of `known`, else empty. */
function didYouMean(key: string, known: readonly string[]): string {
  const near = closestKey(key, known);
  return near === undefined ? '' : ` (did you mean ${JSON.stringify(near)}?)`;
}

/**
 * Why `value` (undefined: absent) is not a legal value of `spec`, as a message fragment that
 * follows `stage "train" param "lr": ` — `is missing`, `5 is outside [0.0001, 0.1]`,
 * `1.5 is not an integer (int in [1, 8])`, `"gelu" is not one of ["relu", "tanh"]`. Call it only
 * for a value {@link isValidValue} refuses: that, not this, decides what is legal.
 */
function valueProblem(spec: ParamSpec, value: unknown): string {
  if (value === undefined) return 'is missing';
  if (spec.type === 'categorical') {
    const near =
      typeof value === 'string'
        ? didYouMean(
            value,
            spec.choices.filter((c) => typeof c === 'string'),
          )
        : '';
    return `${shown(value)} is not one of ${shownChoices(spec.choices)}${near}`;
  }
  const range = `[${spec.low}, ${spec.high}]`;
  if (typeof value !== 'number' || Number.isNaN(value))
    return `${shown(value)} is not a number (${spec.type} in ${range})`;
  if (!(value >= spec.low && value <= spec.high)) return `${shown(value)} is outside ${range}`;
  if (spec.type === 'int' && !Number.isInteger(value)) return `${shown(value)} is not an integer (int in ${range})`;
  return `${shown(value)} is not a step of ${spec.step} from ${spec.low} (${spec.type} in ${range}, step ${spec.step})`;
}

/**
 * The message for a value {@link isValidValue} refuses:
 * `stage "train" param "lr": 5 is outside [0.0001, 0.1]` (see {@link validateConfiguration}).
 */
export function invalidValueMessage(stage: string, spec: ParamSpec, value: unknown): string {
  return `${where(stage, spec.name)}: ${valueProblem(spec, value)}`;
}

/**
 * One problem of a configuration: where it is (stage index, and the parameter or unknown key
 * when there is one) and what is wrong, as a fragment without the place
 * (`5 is outside [0.0001, 0.1]`, `unknown parameter "epchs" (did you mean "epochs"?)`).
 */
export interface ConfigurationProblem {
  /** Index of the stage, or undefined when the configuration as a whole is wrong. */
  readonly stage?: number;
  /** The parameter (or unknown key) the problem is about. */
  readonly key?: string;
  readonly message: string;
}

/**
 * The problems of a configuration against a space, within a stage the unknown keys first, and how
 * many there are in all: only the first `limit` are built (a suggestion costs an edit distance
 * per name). {@link validateConfiguration} throws them; the study config schema reports them at
 * their paths. `partial`: an enqueued configuration, which may leave out parameters and the
 * stages at its end (the optimizer's suggestion fills them, ./partial.ts) but must give a value.
 */
export function configurationProblems(
  space: SearchSpace,
  config: unknown,
  limit = Number.POSITIVE_INFINITY,
  { partial = false }: { partial?: boolean } = {},
): { problems: ConfigurationProblem[]; count: number } {
  const problems: ConfigurationProblem[] = [];
  const tooShort = (length: number) => (partial ? length === 0 : length !== space.length);
  if (!Array.isArray(config) || tooShort(config.length) || config.length > space.length) {
    const got = Array.isArray(config) ? `${config.length}` : shown(config);
    problems.push({
      message: partial
        ? `must have 1 to ${space.length} stages (one record per stage from the first; the stages left out at the end take the optimizer's values), got ${got}`
        : `must have ${space.length} stages (one record per stage), got ${got}`,
    });
    return { problems, count: 1 };
  }
  let count = 0;
  const report = (problem: () => ConfigurationProblem): void => {
    if (count++ < limit) problems.push(problem());
  };
  if (partial) {
    const given = config.filter((values) => values !== null && typeof values === 'object' && !Array.isArray(values));
    const anyValue = given.some((values) => Object.keys(values as object).length > 0);
    if (!anyValue && space.some((stage) => stage.params.length > 0)) {
      report(() => ({
        message: 'gives no parameter value: the optimizer proposes such trials anyway (leave it out)',
      }));
    }
  }
  space.forEach((stage, s) => {
    // A partial configuration's missing stages at the end give no values.
    const values: unknown = partial && s >= config.length ? {} : config[s];
    if (values === null || typeof values !== 'object' || Array.isArray(values)) {
      report(() => ({ stage: s, message: 'values must be an object of parameter values' }));
      return;
    }
    const record = values as Readonly<Record<string, ParamValue>>;
    const known = stage.params.map((spec) => spec.name);
    for (const key of Object.keys(record)) {
      if (!known.includes(key))
        report(() => ({ stage: s, key, message: `unknown parameter ${shown(key)}${didYouMean(key, known)}` }));
    }
    for (const spec of stage.params) {
      // Own keys only: a parameter named "constructor" is missing, not Object.prototype's function.
      const value = Object.hasOwn(record, spec.name) ? record[spec.name] : undefined;
      if (partial && value === undefined) continue;
      if (!isValidValue(spec, value)) report(() => ({ stage: s, key: spec.name, message: valueProblem(spec, value) }));
    }
  });
  return { problems, count };
}

/**
 * Checks that a configuration has one record per stage with a legal value for every parameter.
 * Extra keys are rejected too: they would silently break exact-match caching.
 *
 * @throws {RangeError} listing one message per problem (at most 5, then how many more), each
 *   naming its stage, and within a stage the unknown keys first:
 *   `stage "train": unknown parameter "epchs" (did you mean "epochs"?); stage "train" param "epochs": is missing`.
 *   A value out of its parameter's range says the range or the choices (see {@link invalidValueMessage}).
 */
export function validateConfiguration(
  space: SearchSpace,
  config: Configuration,
  options: { partial?: boolean } = {},
): void {
  const { problems, count } = configurationProblems(space, config, maxReportedProblems, options);
  if (count === 0) return;
  const placed = problems.map(({ stage, key, message }) => {
    if (stage === undefined) return `configuration ${message}`;
    const stageName = space[stage]!.name;
    // An unknown key's message names it; a parameter's problem names the parameter in the place.
    const isParam = key !== undefined && space[stage]!.params.some((spec) => spec.name === key);
    return `${where(stageName, isParam ? key : undefined)}: ${message}`;
  });
  const more = count - placed.length;
  const listed = placed.join('; ');
  throw new RangeError(more > 0 ? `${listed}; and ${more} more problem${more === 1 ? '' : 's'}` : listed);
}
