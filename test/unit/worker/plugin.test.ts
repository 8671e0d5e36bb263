import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { packageVersion } from '../../../src/package-root.js';
import { MemotunePlugin } from '../../../src/plugin.js';
import { activityMetrics } from '../../../src/worker/metrics.js';
import { MemoryObjectStore } from '../../../src/storage/object-store.js';

const quiet = new DefaultLogger('ERROR');

describe('MemotunePlugin', () => {
  const plugin = new MemotunePlugin({ store: new MemoryObjectStore(), stages: {} });

  it("adds memotune's stage activity to a worker's own activities, keeping them", () => {
    const greet = async () => 'hello';
    const options = plugin.configureWorker({ taskQueue: 'mine', activities: { greet } });
    const activities = options.activities as Record<string, unknown>;
    expect(Object.keys(activities).sort()).toEqual(['greet', 'runStage']);
    expect(activities.greet).toBe(greet);
  });

  it("adds its metrics interceptor after the worker's own activity interceptors, keeping the deprecated inbound ones", () => {
    const mine = () => ({});
    const inbound = () => ({});
    const options = plugin.configureWorker({
      taskQueue: 'mine',
      interceptors: { activity: [mine], activityInbound: [inbound] },
    });
    const activity = options.interceptors?.activity ?? [];
    expect(activity).toHaveLength(3);
    // The inbound factory first (as the SDK orders them), then the worker's own, then memotune's.
    expect(activity[0]!({} as never)).toEqual({ inbound: {} });
    expect(activity[1]).toBe(mine);
    expect(activity[2]).toBe(activityMetrics);
  });

  it('refuses a misspelt option and a missing store at once, naming them', () => {
    const spread = { store: new MemoryObjectStore(), stagse: {} };
    expect(() => new MemotunePlugin(spread)).toThrow(
      "MemotunePlugin: unknown option 'stagse' (did you mean 'stages'?); it takes store, stages,",
    );
    expect(() => new MemotunePlugin({} as never)).toThrow('MemotunePlugin: store is required');
  });

  it('refuses a worker with an activity of its own named runStage instead of replacing it', () => {
    expect(() => plugin.configureWorker({ taskQueue: 'mine', activities: { runStage: async () => 'mine' } })).toThrow(
      /already registers an activity named 'runStage'.*rename yours/,
    );
  });

  it("records the worker's own identity with the stages it runs", async () => {
    const named = new MemotunePlugin({
      store: new MemoryObjectStore(),
      stages: { prep: () => ({ output: 1 }) },
    });
    const options = named.configureWorker({ taskQueue: 'memotune-gpu', identity: 'trainer-7' });
    const runStage = (options.activities as Record<string, (input: unknown) => Promise<{ worker?: unknown }>>)
      .runStage!;
    const out = (await new MockActivityEnvironment({}, { logger: quiet }).run(runStage, {
      studyId: 's',
      trialIndex: 0,
      pipelineId: 'p',
      stageIndex: 0,
      stageName: 'prep',
      implementation: 'prep',
      version: '1',
      params: {},
      key: 'a'.repeat(64),
      parentKey: null,
    })) as { worker?: unknown };
    expect(out.worker).toEqual({ identity: 'trainer-7', sdk: 'typescript', memotune: packageVersion });
  });
});
