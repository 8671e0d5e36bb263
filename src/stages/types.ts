import type { Readable } from 'node:stream';
import type { ParamValue, StageParams } from '../core/types.js';
import type { StudyConfigInput } from '../config/study-config.js';

/**
 * A committed output of an earlier stage of the same trial, read lazily from the object store:
 * nothing is downloaded until the stage asks for it, and `stream()`, `toFile()` and
 * `toDirectory()` never buffer the whole output. Every read checks the sha256 recorded when the
 * output was committed.
 */
export interface StageOutput {
  /** The chained cache key of this output. */
  readonly key: string;
  /** Name of the stage that produced it. */
  readonly stage: string;
  readonly metrics: Readonly<Record<string, number>>;
  /**
   * `json` when the stage returned a JSON value; `bytes` when it returned bytes, a file or a
   * stream; `directory` when it returned a directory (stored as a tar archive).
   */
  readonly format: OutputFormat;
  /** Size of the stored output in bytes (for a directory, of its tar archive). */
  readonly size: number;
  /** The output parsed as JSON (when the stage returned a JSON value). */
  json<T = unknown>(): Promise<T>;
  /** The whole output as bytes, in memory (for a directory, its tar archive). */
  bytes(): Promise<Uint8Array>;
  /** The output as a stream; it errors at the end if the data does not match its checksum. */
  stream(): Promise<Readable>;
  /**
   * Streams the output into the file `path` (its folder is created), which appears only once the
   * data matched its checksum; an existing file is replaced. For a directory, the file is its tar
   * archive. Resolves to `path`.
   */
  toFile(path: string): Promise<string>;
  /**
   * Extracts a `directory` output into `dest`, which must not exist or be an empty directory; the
   * directory appears only once the archive matched its checksum. Resolves to `dest`.
   * @throws Error when the output is not a directory
   */
  toDirectory(dest: string): Promise<string>;
}

/** How a stage output is stored (the `format` of its `meta.json`, docs/stage-contract.md). */
export type OutputFormat = 'json' | 'bytes' | 'directory';

/** @deprecated use {@link StageOutput}; kept for stage modules written against 0.1. */
export type ParentOutput = StageOutput;

/**
 * What a stage implementation receives. `P` is the type of its hyperparameters: inferred from the
 * study config when the registry is built with `defineStages(study, { ... })`.
 */
export interface StageContext<P = StageParams> {
  /** This stage's hyperparameters, exactly as the optimizer chose them. */
  readonly params: P;
  /**
   * A 32-bit seed for every random choice the stage makes. Derived from the study seed and the
   * stage's cache key, so it is the same whenever this exact prefix runs (a re-run after the cache
   * was pruned reproduces the output) and differs between prefixes.
   */
  readonly seed: number;
  /** The previous stage's output; `null` for the first stage. */
  readonly parent: StageOutput | null;
  /** Outputs of every earlier stage of this trial, by stage name (the parent included). */
  readonly ancestors: Readonly<Record<string, StageOutput>>;
  readonly stage: { readonly name: string; readonly index: number; readonly version: string };
  readonly trial: { readonly studyId: string; readonly trialIndex: number; readonly attempt: number };
  /**
   * A folder of this attempt's own, empty at its start and deleted when it ends (after the output
   * is stored): the place for an `outputFile` / `outputDirectory` and any scratch files.
   */
  readonly workdir: string;
  /** Report liveness (and optional progress details) so a dead worker's attempt is retried fast. */
  heartbeat(details?: unknown): void;
  /**
   * Reports an intermediate value of the study's objective at `step` (an epoch, an iteration),
   * as Optuna's `trial.report(value, step)`: steps are integers from 0 and must increase; at
   * most 1,000 reports a run. The values go into the trial's record, and completed trials'
   * values are what {@link shouldPrune} compares later trials with.
   * @throws {TypeError} for a bad step or value, naming it
   */
  report(step: number, value: number): void;
  /**
   * Whether this trial should stop: its best reported value so far is worse than the median of
   * the earlier completed trials' values at the same step of this stage (the study's `pruner`;
   * never before `startupTrials` of them reported that step). Stop by throwing {@link TrialPruned}.
   */
  shouldPrune(): boolean;
  /** Aborted when the attempt is cancelled or times out. */
  readonly signal: AbortSignal;
}

export interface StageResult {
  /**
   * The output later stages read: a JSON value, raw bytes (`Uint8Array`), or — for outputs of any
   * size, streamed to the store without being held in memory — {@link outputFile},
   * {@link outputDirectory}, {@link outputStream} or a Node `Readable`.
   */
  readonly output: unknown;
  /** Numbers to report; the last stage must report the study's objective metric. */
  readonly metrics?: Readonly<Record<string, number>>;
  /**
   * Cost of this run in cost units. @default the wall-clock seconds of the attempt, from its
   * start (reading earlier outputs included) to the commit of this output (its upload included),
   * minus time spent waiting out object-store outages
   */
  readonly cost?: number;
}

/** A user's stage: a plain async function of its context. */
export type StageImplementation<P = StageParams> = (context: StageContext<P>) => Promise<StageResult> | StageResult;

/** Where {@link versioned} keeps the version a stage implementation declares. */
const declaredVersion = Symbol.for('memotune.stageVersion');

/**
 * Declares the version of a stage's code (Python: `@stage(..., version="2")`): bump it with the
 * study config's stage `version` whenever the code changes what it outputs. A study whose config
 * gives the stage another version is refused (`StageVersionMismatch`, not retried) rather than run
 * this code under the version whose cached outputs older code made.
 *
 * ```ts
 * export const stages = defineStages(study, { train: versioned('2', async ({ params }) => fit(params.lr)) });
 * ```
 */
export function versioned<F extends StageImplementation<never>>(version: string, implementation: F): F {
  if (typeof version !== 'string' || version === '')
    throw new TypeError(`versioned(): the version must be a non-empty string, got ${String(version)}`);
  const wrapped = ((context: never) => implementation(context)) as unknown as F;
  Object.defineProperty(wrapped, declaredVersion, { value: version });
  return wrapped;
}

/** The version a stage implementation declares with {@link versioned}, if any. */
export function versionOf(implementation: unknown): string | undefined {
  if (typeof implementation !== 'function') return undefined;
  const version = (implementation as unknown as Record<symbol, unknown>)[declaredVersion];
  return typeof version === 'string' ? version : undefined;
}

/** Stage implementations a worker can run, by implementation name. */
export type StageRegistry = Readonly<Record<string, StageImplementation>>;

/**
 * Thrown by a stage to stop its trial early (usually when {@link StageContext.shouldPrune} says
 * so), as Optuna's `TrialPruned`. The trial ends as `pruned`, not failed: it is charged what it
 * spent, its stage commits no output, it is not retried, and it never counts toward
 * `maxConsecutiveFailures`.
 */
export class TrialPruned extends Error {
  constructor(message = 'trial pruned') {
    super(message);
    this.name = 'TrialPruned';
  }
}

// ---- outputs streamed from a file, a directory or a stream ------------------------------------

/**
 * The brand of an {@link ArtifactOutput}. A symbol key has no JSON encoding, so no JSON value can
 * be mistaken for one; `Symbol.for` keeps it the same across copies of this package.
 */
export const artifactKind: unique symbol = Symbol.for('memotune.artifact');

/** A file whose bytes are the output (format `bytes`). */
export interface FileOutput {
  readonly [artifactKind]: 'file';
  readonly path: string;
}

/** A directory whose tree is the output (format `directory`: a tar archive of its contents). */
export interface DirectoryOutput {
  readonly [artifactKind]: 'directory';
  readonly path: string;
}

/** A stream whose bytes are the output (format `bytes`), read once. */
export interface StreamOutput {
  readonly [artifactKind]: 'stream';
  readonly source: AsyncIterable<Uint8Array>;
}

/** An output stored from outside memory: streamed to the object store, never buffered whole. */
export type ArtifactOutput = FileOutput | DirectoryOutput | StreamOutput;

/**
 * The output is the file at `path` (relative to the worker's working directory), read after the
 * stage returns. It is streamed to the object store (hashed first, then uploaded; a retried
 * upload reads it again), so it must stay in place and unchanged until the stage's attempt ends.
 * Later stages read it with `toFile()`, `stream()` or `bytes()`.
 */
export function outputFile(path: string): FileOutput {
  return { [artifactKind]: 'file', path: requirePath(path, 'outputFile') };
}

/**
 * The output is the directory at `path` — a checkpoint folder, a dataset — stored as a tar
 * archive of its contents (regular files, directories and symbolic links) and read after the stage
 * returns, like {@link outputFile}. Later stages extract it with `toDirectory()`.
 */
export function outputDirectory(path: string): DirectoryOutput {
  return { [artifactKind]: 'directory', path: requirePath(path, 'outputDirectory') };
}

/**
 * The output is what `source` yields (a Node `Readable`, a web `ReadableStream`, an async
 * generator of `Uint8Array`s), read once after the stage returns. It is written to a temporary
 * file while it is hashed, then uploaded from there, so an object-store outage during the upload
 * is waited out like any other; prefer {@link outputFile} when the bytes are on disk already.
 */
export function outputStream(source: AsyncIterable<Uint8Array>): StreamOutput {
  if (typeof (source as Partial<AsyncIterable<Uint8Array>> | null)?.[Symbol.asyncIterator] !== 'function') {
    throw new TypeError('outputStream: source must be an async iterable of Uint8Array (a Readable, a ReadableStream)');
  }
  return { [artifactKind]: 'stream', source };
}

function requirePath(path: unknown, helper: string): string {
  if (typeof path !== 'string' || path === '') throw new TypeError(`${helper}: path must be a non-empty string`);
  return path;
}

/** The artifact a stage returned as its output, or `undefined` when it returned a plain value. */
export function artifactOf(output: unknown): ArtifactOutput | undefined {
  if (typeof output !== 'object' || output === null || !(artifactKind in output)) return undefined;
  const kind = (output as Record<typeof artifactKind, unknown>)[artifactKind];
  return kind === 'file' || kind === 'directory' || kind === 'stream' ? (output as ArtifactOutput) : undefined;
}

// ---- typed registries from a study config ------------------------------------------------------

interface ParamShape {
  readonly name: string;
  readonly type: string;
  readonly choices?: readonly ParamValue[];
}
interface StageShape {
  readonly name: string;
  readonly implementation?: string;
  /** Left out: a stage without hyperparameters. */
  readonly params?: readonly ParamShape[];
}
export interface StudyShape {
  readonly pipeline: { readonly stages: readonly StageShape[] };
}

/** The value type of one parameter: its choices for a categorical, `number` otherwise. */
type ParamValueOf<P extends ParamShape> = P extends {
  readonly type: 'categorical';
  readonly choices: readonly (infer C)[];
}
  ? C
  : number;

/** `{ lr: number; optimizer: 'adam' | 'sgd' }` from a stage's `params` list. */
export type ParamsOf<Params extends readonly ParamShape[]> = {
  readonly [P in Params[number] as P['name']]: ParamValueOf<P>;
};

type ImplementationName<S extends StageShape> = S extends { readonly implementation: infer I extends string }
  ? I
  : S['name'];

/** One implementation per stage of `C`, each typed with its own stage's parameters. */
export type TypedStages<C extends StudyShape> = {
  readonly [N in ImplementationName<C['pipeline']['stages'][number]>]: StageImplementation<
    ParamsOf<ParamListOf<StageNamed<C['pipeline']['stages'][number], N>>>
  >;
};

/**
 * One configuration of study `C` (declared with {@link defineStudy}): a record per stage, in
 * pipeline order, each typed by its stage's parameters. A stage without parameters is `{}`.
 */
export type ConfigurationOf<C extends StudyShape> = StageConfigurations<C['pipeline']['stages']>;
type StageConfigurations<Stages extends readonly StageShape[]> = {
  readonly [I in keyof Stages]: Stages[I] extends StageShape ? ParamsOf<ParamListOf<Stages[I]>> : never;
};

/**
 * A configuration of study `C` to enqueue, as `enqueueConfigurations<typeof study>` takes it:
 * {@link ConfigurationOf} where any parameter may be left out (its trial's suggestion gives it).
 */
export type EnqueuedConfigurationOf<C extends StudyShape> = PartialStageConfigurations<C['pipeline']['stages']>;
type PartialStageConfigurations<Stages extends readonly StageShape[]> = {
  readonly [I in keyof Stages]: Stages[I] extends StageShape ? Partial<ParamsOf<ParamListOf<Stages[I]>>> : never;
};

/** A stage's `params` list; none when it leaves them out. */
type ParamListOf<S extends StageShape> = S extends { readonly params: infer P extends readonly ParamShape[] }
  ? P
  : readonly [];

type StageNamed<S extends StageShape, N> = S extends unknown ? (ImplementationName<S> extends N ? S : never) : never;

/** A study config's stage implementation names (`implementation`, else `name`); null if it has none to read. */
function implementationNames(study: unknown): string[] | null {
  const stages = (study as { pipeline?: { stages?: unknown } } | null)?.pipeline?.stages;
  if (!Array.isArray(stages)) return null;
  return stages.map((stage: { implementation?: unknown; name?: unknown }) =>
    String(typeof stage.implementation === 'string' ? stage.implementation : stage.name),
  );
}

/**
 * Builds a stage registry. With a study config first (declared with `as const` or through
 * {@link defineStudy}), each implementation's `params` is typed from its stage's declared space
 * and a missing or misspelled stage is a type error:
 *
 * ```ts
 * const study = defineStudy({ name: 'sweep', pipeline: { stages: [
 *   { name: 'train', params: [{ name: 'lr', type: 'float', low: 1e-4, high: 0.1, log: true }] }] }, ... });
 * export const stages = defineStages(study, { train: async ({ params }) => fit(params.lr) });
 * ```
 */
export function defineStages<const C extends StudyShape>(study: C, stages: TypedStages<C>): StageRegistry;
/**
 * The stages of `C` this worker implements, when others are served elsewhere (Python stages on
 * their own queue): `only` lists them, and exactly those are required, each typed as above. A name
 * in `only` that is not a stage of `C` is a type error too, and so, at run time, is a registry that
 * does not implement exactly the names listed.
 *
 * ```ts
 * // prepare and train run in a Python worker; this module implements evaluate.
 * export const stages = defineStages(study, { evaluate: async ({ parent }) => score(parent) }, { only: ['evaluate'] });
 * ```
 */
export function defineStages<
  const C extends StudyShape,
  const K extends ImplementationName<C['pipeline']['stages'][number]>,
>(study: C, stages: NoInfer<Pick<TypedStages<C>, K>>, options: { readonly only: readonly K[] }): StageRegistry;
/** Keeps an untyped registry literal typed as such. */
export function defineStages<const T extends StageRegistry>(stages: T): T;
export function defineStages(first: unknown, second?: unknown, options?: { readonly only?: unknown }): StageRegistry {
  // Parameter types are a compile-time view of the same plain records: nothing to convert.
  const registry = (second ?? first) as StageRegistry;
  const only = options?.only;
  if (only !== undefined) {
    if (!Array.isArray(only) || only.length === 0 || only.some((name) => typeof name !== 'string'))
      throw new TypeError('defineStages: options.only must be a non-empty list of stage implementation names');
    const known = implementationNames(first);
    const unknown = (only as string[]).filter((name) => known !== null && !known.includes(name));
    if (unknown.length > 0)
      throw new TypeError(
        `defineStages: options.only names ${unknown.map((name) => `'${name}'`).join(', ')}, not a stage of the study ` +
          `(its implementations: ${known!.map((name) => `'${name}'`).join(', ')})`,
      );
    const listed = new Set<string>(only as string[]);
    const missing = [...listed].filter((name) => !Object.hasOwn(registry, name));
    const extra = Object.keys(registry).filter((name) => !listed.has(name));
    if (missing.length > 0 || extra.length > 0)
      throw new TypeError(
        'defineStages: the registry must implement exactly the stages in options.only' +
          (missing.length > 0 ? `; missing ${missing.map((name) => `'${name}'`).join(', ')}` : '') +
          (extra.length > 0 ? `; not listed ${extra.map((name) => `'${name}'`).join(', ')}` : ''),
      );
  }
  return registry;
}

/**
 * Identity helper that keeps a study config's literal types (stage names, parameter names,
 * categorical choices) for {@link defineStages}, and type-checks it as a study config: a missing
 * `budget` or `objective`, a parameter type or optimizer method that does not exist, a number
 * given as a string are compile errors. Validate it with `parseStudyConfig` as usual (ranges,
 * names and limits are checked there).
 */
export function defineStudy<const C extends StudyShape & StudyConfigInput>(config: C): C {
  return config;
}
