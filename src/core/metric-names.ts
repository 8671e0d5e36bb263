/**
 * The names of memotune's own metrics (src/worker/metrics.ts records the activities' ones, the
 * study workflow the trials'), in one place for both and for dashboards. Tags: the README,
 * "Metrics (Prometheus)".
 */
export const metricNames = {
  /** Histogram, seconds: one attempt of a stage activity; tags pipeline, stage, outcome. */
  stageAttempt: 'memotune_stage_attempt_seconds',
  /** Histogram, seconds: one suggestion (reading the trial log and computing); tags method, outcome. */
  suggestion: 'memotune_suggestion_seconds',
  /** Counter: trials recorded by studies; tags pipeline, status, reused. */
  trials: 'memotune_trials',
} as const;

/**
 * Bucket boundaries for memotune's two histograms (seconds) and for Temporal's schedule-to-start
 * latency (milliseconds): the exporter's defaults (50 … 10,000) are for milliseconds and end at
 * 10 s, which would put every suggestion in the first bucket and a stage that waited minutes for
 * a GPU worker in the last.
 * Pass them as the Prometheus or OpenTelemetry exporter's `histogramBucketOverrides` when you
 * install the Runtime yourself; `memotune worker --metrics` does.
 */
export const metricHistogramBuckets: Readonly<Record<string, number[]>> = {
  // Temporal's own, in milliseconds: how long a stage waited for a worker of its queue (a GPU queue
  // with too few workers). The default boundaries end at 10 s; a stage can wait for hours.
  temporal_activity_schedule_to_start_latency: [
    50, 100, 500, 1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000, 14_400_000,
  ],
  [metricNames.stageAttempt]: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400, 43200],
  [metricNames.suggestion]: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
};
