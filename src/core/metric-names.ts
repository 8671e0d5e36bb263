/**
 * The names of memotune's own metrics (src/worker/metrics.ts records the activities' ones, the
 * study workflow the trials'), in one place for both and for dashboards. Tags: the README,
 * "Metrics (Prometheus)".
 */
export const metricNames = {
  /** Histogram, seconds: one attempt of a stage activity; tags stage, outcome. */
  stageAttempt: 'memotune_stage_attempt_seconds',
  /** Histogram, seconds: one suggestion (reading the trial log and computing); tags method, outcome. */
  suggestion: 'memotune_suggestion_seconds',
  /** Counter: trials recorded by studies; tags status, reused. */
  trials: 'memotune_trials',
} as const;

/**
 * Bucket boundaries (seconds) for the two histograms: the exporter's default boundaries are for
 * milliseconds (50 … 10,000), which would put every suggestion and most stages in the first bucket.
 * Pass them as the Prometheus or OpenTelemetry exporter's `histogramBucketOverrides` when you
 * install the Runtime yourself; `memotune worker --metrics` does.
 */
export const metricHistogramBuckets: Readonly<Record<string, number[]>> = {
  [metricNames.stageAttempt]: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400, 43200],
  [metricNames.suggestion]: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
};
