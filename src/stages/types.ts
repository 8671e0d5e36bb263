import type { StageParams } from '../core/types.js';

/** The parent stage's output, read lazily from the object store. */
export interface ParentOutput {
  readonly key: string;
  readonly stage: string;
  readonly metrics: Readonly<Record<string, number>>;
  /** The parent's output parsed as JSON (when it returned a JSON value). */
  json<T = unknown>(): T;
  /** The parent's output as raw bytes (either format). */
  bytes(): Uint8Array;
}

export interface StageContext {
  /** This stage's hyperparameters, exactly as the optimizer chose them. */
  readonly params: StageParams;
  /** The previous stage's output; `null` for the first stage. */
  readonly parent: ParentOutput | null;
  readonly stage: { readonly name: string; readonly index: number; readonly version: string };
  readonly trial: { readonly studyId: string; readonly trialIndex: number; readonly attempt: number };
  /** Report liveness (and optional progress details) so a dead worker's attempt is retried fast. */
  heartbeat(details?: unknown): void;
  /** Aborted when the attempt is cancelled or times out. */
  readonly signal: AbortSignal;
}

export interface StageResult {
  /** The output the next stage reads: a JSON value, or raw bytes (a checkpoint, a dataset). */
  readonly output: unknown;
  /** Numbers to report; the last stage must report the study's objective metric. */
  readonly metrics?: Readonly<Record<string, number>>;
  /** Cost of this run in cost units. @default the measured wall-clock seconds */
  readonly cost?: number;
}

/** A user's stage: a plain async function of its context. */
export type StageImplementation = (context: StageContext) => Promise<StageResult> | StageResult;

/** Stage implementations a worker can run, by implementation name. */
export type StageRegistry = Readonly<Record<string, StageImplementation>>;

/** Identity helper that keeps a registry literal typed. */
export function defineStages<const T extends StageRegistry>(stages: T): T {
  return stages;
}
