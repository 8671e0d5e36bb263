import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { MetricTags } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FailureType } from '../../../src/core/errors.js';
import { metricHistogramBuckets, metricNames } from '../../../src/core/metric-names.js';
import { activityMetrics } from '../../../src/worker/metrics.js';

/** An activity context whose meter keeps what is recorded. */
function contextOf(activityType: string) {
  const recorded: { name: string; unit: string | undefined; value: number; tags: MetricTags }[] = [];
  const metricMeter = {
    createHistogram: (name: string, _type: string, unit?: string) => ({
      record: (value: number, tags: MetricTags = {}) => recorded.push({ name, unit, value, tags }),
    }),
  };
  return { context: { info: { activityType }, metricMeter } as unknown as Context, recorded };
}

async function execute(activityType: string, args: unknown[], next: () => Promise<unknown>) {
  const { context, recorded } = contextOf(activityType);
  const execute = activityMetrics(context).inbound?.execute;
  const outcome =
    execute === undefined ? undefined : await execute({ args, headers: {} }, next).catch((e: unknown) => e);
  return { recorded, outcome, intercepted: execute !== undefined };
}

describe('activityMetrics', () => {
  it("records a stage attempt's seconds with its stage and how it ended, passing results and errors through", async () => {
    const input = { pipelineId: 'p1', stageName: 'train' };
    const done = await execute('runStage', [input], async () => ({ recovered: false, key: 'k' }));
    expect(done.outcome).toEqual({ recovered: false, key: 'k' });
    expect(done.recorded).toEqual([
      {
        name: metricNames.stageAttempt,
        unit: 's',
        value: expect.any(Number),
        tags: { pipeline: 'p1', stage: 'train', outcome: 'completed' },
      },
    ]);
    expect(done.recorded[0]!.value).toBeGreaterThanOrEqual(0);
    const recovered = await execute('runStage', [input], async () => ({ recovered: true }));
    expect(recovered.recorded[0]!.tags).toEqual({ pipeline: 'p1', stage: 'train', outcome: 'recovered' });
    const failure = ApplicationFailure.nonRetryable('boom');
    const failed = await execute('runStage', [input], () => Promise.reject(failure));
    expect(failed.outcome).toBe(failure);
    expect(failed.recorded[0]!.tags).toEqual({ pipeline: 'p1', stage: 'train', outcome: 'failed' });
    const cancelled = await execute('runStage', [input], () => Promise.reject(new CancelledFailure('CANCELLED')));
    expect(cancelled.recorded[0]!.tags).toEqual({ pipeline: 'p1', stage: 'train', outcome: 'cancelled' });
    // Failures that are not the stage's are told apart: a failure-rate alert must not fire on them.
    const endings: [string, string][] = [
      [FailureType.TrialPruned, 'pruned'],
      [FailureType.WorkerShutdown, 'interrupted'],
      [FailureType.UnknownStage, 'misrouted'],
      [FailureType.StageVersionMismatch, 'misrouted'],
      [FailureType.StageFailed, 'failed'],
    ];
    for (const [type, outcome] of endings) {
      const ended = await execute('runStage', [input], () =>
        Promise.reject(ApplicationFailure.create({ message: 'x', type, nonRetryable: true })),
      );
      expect(ended.recorded[0]!.tags.outcome).toBe(outcome);
    }
  });

  it("records a suggestion's seconds with its method and phase, and leaves other activities alone", async () => {
    const bo = await execute('suggestFromLog', [{ settings: { method: 'ms-carbo' } }], async () => ({ phase: 'bo' }));
    expect(bo.recorded[0]).toMatchObject({ name: metricNames.suggestion, tags: { method: 'ms-carbo', outcome: 'bo' } });
    const byDefault = await execute('suggestNext', [{ settings: {} }], async () => ({ phase: 'warmup' }));
    expect(byDefault.recorded[0]!.tags).toEqual({ method: 'eeipu', outcome: 'warmup' });
    const refused = await execute('suggestFromLog', [{ settings: { method: 'nope' } }], () =>
      Promise.reject(new Error('x')),
    );
    expect(refused.recorded[0]!.tags).toEqual({ method: 'invalid', outcome: 'failed' });
    const other = await execute('recordTrial', [{}], async () => 'ok');
    expect(other.intercepted).toBe(false);
  });
});

describe('the Python stage worker', () => {
  it('records the stage-attempt histogram under the same name and buckets as the TypeScript workers', () => {
    const source = readFileSync(new URL('../../../python/src/memotune/activity.py', import.meta.url), 'utf8');
    expect(/^STAGE_ATTEMPT_METRIC = "([^"]+)"$/m.exec(source)?.[1]).toBe(metricNames.stageAttempt);
    const buckets = /^STAGE_ATTEMPT_BUCKETS = \(([^)]*)\)$/m.exec(source)?.[1]?.split(',').map(Number);
    expect(buckets).toEqual(metricHistogramBuckets[metricNames.stageAttempt]);
    // And Temporal's schedule-to-start latency, which the worker that takes a stage records.
    const waitName = /^SCHEDULE_TO_START_METRIC = "([^"]+)"$/m.exec(source)?.[1];
    const waitBuckets = /^SCHEDULE_TO_START_BUCKETS = \(([^)]*)\)$/m.exec(source)?.[1]?.split(',').map(Number);
    expect(waitBuckets).toEqual(metricHistogramBuckets[waitName!]);
  });
});
