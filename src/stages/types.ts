import type { Readable } from 'node:stream';
import type { ParamValue, StageParams } from '../core/types.js';

/**
 * A committed output of an earlier stage of the same trial, read lazily from the object store:
 * nothing is downloaded until the stage asks for it, and `stream()` never buffers the whole output.
 * Every read checks the sha256 recorded when the output was committed.
 */
export interface StageOutput {
  /** The chained cache key of this output. */
  readonly key: string;
  /** Name of the stage that produced it. */
  readonly stage: string;
  readonly metrics: Readonly<Record<string, number>>;
  /** `json` when the stage returned a JSON value, `bytes` when it returned bytes. */
  readonly format: 'json' | 'bytes';
  /** Size of the stored output in bytes. */
  readonly size: number;
  /** The output parsed as JSON (when the stage returned a JSON value). */
  json<T = unknown>(): Promise<T>;
  /** The whole output as bytes (either format). */
  bytes(): Promise<Uint8Array>;
  /** The output as a stream; it errors at the end if the data does not match its checksum. */
  stream(): Promise<Readable>;
}

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
  /** Report liveness (and optional progress details) so a dead worker's attempt is retried fast. */
  heartbeat(details?: unknown): void;
  /** Aborted when the attempt is cancelled or times out. */
  readonly signal: AbortSignal;
}

export interface StageResult {
  /** The output later stages read: a JSON value, or raw bytes (a checkpoint, a dataset). */
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

/** Stage implementations a worker can run, by implementation name. */
export type StageRegistry = Readonly<Record<string, StageImplementation>>;

// ---- typed registries from a study config ------------------------------------------------------

interface ParamShape {
  readonly name: string;
  readonly type: string;
  readonly choices?: readonly ParamValue[];
}
interface StageShape {
  readonly name: string;
  readonly implementation?: string;
  readonly params: readonly ParamShape[];
}
interface StudyShape {
  readonly pipeline: { readonly stages: readonly StageShape[] };
}

/** The value type of one parameter: its choices for a categorical, `number` otherwise. */
type ParamValueOf<P extends ParamShape> = P extends { readonly type: 'categorical'; readonly choices: readonly (infer C)[] }
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
    ParamsOf<StageNamed<C['pipeline']['stages'][number], N>['params']>
  >;
};

type StageNamed<S extends StageShape, N> = S extends unknown ? (ImplementationName<S> extends N ? S : never) : never;

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
/** Keeps an untyped registry literal typed as such. */
export function defineStages<const T extends StageRegistry>(stages: T): T;
export function defineStages(first: unknown, second?: unknown): StageRegistry {
  // Parameter types are a compile-time view of the same plain records: nothing to convert.
  return (second ?? first) as StageRegistry;
}

/**
 * Identity helper that keeps a study config's literal types (stage names, parameter names,
 * categorical choices) for {@link defineStages}; validate it with `parseStudyConfig` as usual.
 */
export function defineStudy<const C extends StudyShape>(config: C): C {
  return config;
}
