/**
 * Failure types raised at the activity edge (as `ApplicationFailure.type`) and branched on by the
 * workflows. One const object so both sides spell them the same way.
 */
export const FailureType = {
  /** A study config or request that can never succeed: not retried. */
  InvalidStudyConfig: 'InvalidStudyConfig',
  InvalidSuggestRequest: 'InvalidSuggestRequest',
  /** The worker serving the stage's queue has no implementation registered under that name. */
  UnknownStage: 'UnknownStage',
  /** The user's stage implementation threw (retried per the stage's retry policy). */
  StageFailed: 'StageFailed',
  /**
   * The stage returned something memotune cannot use — no output, metrics that are not finite
   * numbers or exceed the limits, a bad cost, an output with no JSON encoding — not retried.
   */
  InvalidStageResult: 'InvalidStageResult',
  /** A parent output the stage needs is missing or does not match its checksum. */
  CacheMiss: 'CacheMiss',
  /**
   * The stage's declared parameters (a Python dataclass or TypedDict) do not fit the study's: a
   * field missing or of another type. Every trial would fail alike: not retried, ends the study.
   */
  StageParamsMismatch: 'StageParamsMismatch',
  /**
   * The stage's code declares another version (`versioned()`, Python `@stage(version=)`) than the
   * study config gives the stage: not retried (the trial fails; the code or the config must change).
   */
  StageVersionMismatch: 'StageVersionMismatch',
  /**
   * The stage's worker shut down while it ran (SIGTERM, a deploy, a reclaimed spot instance): not
   * the stage's fault. Not retried by Temporal, so it uses up none of the stage's attempts; the
   * trial schedules the stage again for another worker.
   */
  WorkerShutdown: 'WorkerShutdown',
  /**
   * The stage stopped its trial (`TrialPruned`): its intermediate values fell behind earlier
   * trials'. Not a failure and not retried; the trial ends as `pruned`, charged what it spent.
   */
  TrialPruned: 'TrialPruned',
  /**
   * The trial's last stage completed without reporting the objective metric at all (a NaN or
   * infinite value is reported: that trial just failed). Set by the trial workflow, never raised by
   * an activity. While no trial has completed, it ends the study: the metric's name in the stage
   * and in the config's `objective.metric` disagree, and every trial would run in full to fail alike.
   */
  ObjectiveNotReported: 'ObjectiveNotReported',
  /**
   * The object store refused a worker's request with an answer retrying cannot heal — a signature
   * or access key it rejects, access denied, a missing bucket: the worker's S3 settings or
   * credentials are wrong, not the trial. Not retried; it ends the study, saying which worker and
   * what to fix (`study continue` goes on once it is fixed). An outage is retried instead.
   */
  StoreRefused: 'StoreRefused',
  /**
   * The study ended as failed (a stage no worker can run, parameters that fit no stage,
   * `maxConsecutiveFailures`, the optimizer refusing the study): its workflow fails with this
   * type, so the Temporal UI shows it as Failed, and the failure's first detail is the study's
   * outcome (`StudyOutcome`), as a completed study's result would be.
   */
  StudyFailed: 'StudyFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/**
 * Details attached to a `StageFailed` or `InvalidStageResult` failure so the workflow can charge
 * what the stage spent. runStage's heartbeats carry these too, plus `spentBefore` (what earlier
 * attempts spent) and the stage's progress `details` (src/core/charge.ts reads them).
 */
export interface StageFailureDetails {
  /** Cost spent by all attempts of this stage so far, in cost units (wall seconds). */
  readonly spentCost: number;
  readonly attempt: number;
}
