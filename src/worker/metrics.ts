/**
 * memotune's own worker metrics, beside the ones Temporal's SDK records (task slots, poll and
 * schedule-to-start latencies, activity and workflow task outcomes). They go through the Runtime's
 * metric meter, so whatever exporter the process's Runtime has gets them — Prometheus with
 * `memotune worker --metrics host:port`, or the exporter your own `Runtime.install` sets up — and
 * without one they cost nothing. The study workflow counts trials (workflows/study.ts).
 *
 * Recorded by an activity interceptor rather than inside the activities: a stage attempt has a
 * dozen ways to end, and the interceptor sees each one as its activity's result or error.
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptors, ActivityInterceptorsFactory } from '@temporalio/worker';
import type { RunStageInput, RunStageOutput } from '../../activities/index.js';
import { FailureType } from '../core/errors.js';
import { metricNames } from '../core/metric-names.js';
import type { OptimizerSettings, Suggestion } from '../core/types.js';
import { resolveSettings } from '../optimizer/index.js';

/**
 * How an attempt that threw ended. Only `failed` is the stage's failure (retried or not): a pruned
 * trial, an attempt its worker's shutdown interrupted (run again elsewhere, README "Failures that
 * are not the stage's") and a stage the worker does not have, or has in another version, are told
 * apart so that a failure-rate alert does not fire on them.
 */
function outcomeOf(error: unknown): string {
  if (error instanceof CancelledFailure) return 'cancelled';
  if (!(error instanceof ApplicationFailure)) return 'failed';
  switch (error.type) {
    case FailureType.TrialPruned:
      return 'pruned';
    case FailureType.WorkerShutdown:
      return 'interrupted';
    case FailureType.UnknownStage:
    case FailureType.StageVersionMismatch:
      return 'misrouted';
    default:
      return 'failed';
  }
}

/** The method a suggest request asks for ('invalid' for settings the optimizer refuses). */
function methodOf(request: unknown): string {
  try {
    return resolveSettings((request as { settings?: OptimizerSettings } | undefined)?.settings ?? {}).method;
  } catch {
    return 'invalid';
  }
}

/** Times one activity execution and records it with the tags its input and result give. */
function timed(
  context: Context,
  name: string,
  description: string,
  tags: (args: readonly unknown[], result: unknown, error: unknown) => Record<string, string>,
): ActivityInterceptors {
  return {
    inbound: {
      async execute(input, next) {
        const started = performance.now();
        // A metric that cannot be recorded never changes what the activity returns or throws.
        const record = (result: unknown, error: unknown) => {
          try {
            context.metricMeter
              .createHistogram(name, 'float', 's', description)
              .record((performance.now() - started) / 1000, tags(input.args, result, error));
          } catch (problem) {
            context.log.warn(`could not record the metric ${name}`, { error: String(problem) });
          }
        };
        try {
          const result = await next(input);
          record(result, undefined);
          return result;
        } catch (error) {
          record(undefined, error);
          throw error;
        }
      },
    },
  };
}

/** The activity interceptor that records memotune's stage and suggestion metrics. */
export const activityMetrics: ActivityInterceptorsFactory = (context) => {
  const type = context.info.activityType;
  if (type === 'runStage') {
    return timed(context, metricNames.stageAttempt, 'one attempt of a pipeline stage', (args, result, error) => ({
      pipeline: (args[0] as RunStageInput | undefined)?.pipelineId ?? '',
      stage: (args[0] as RunStageInput | undefined)?.stageName ?? '',
      outcome:
        error === undefined ? ((result as RunStageOutput).recovered ? 'recovered' : 'completed') : outcomeOf(error),
    }));
  }
  if (type === 'suggestFromLog' || type === 'suggestNext') {
    return timed(context, metricNames.suggestion, 'one suggestion of the optimizer', (args, result, error) => ({
      method: methodOf(args[0]),
      outcome: error === undefined ? (result as Suggestion).phase : outcomeOf(error),
    }));
  }
  return {};
};
