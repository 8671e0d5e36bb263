import { hostname } from 'node:os';
import { packageVersion } from '../../../src/package-root.js';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities, isOfErrorClass, type RunStageInput } from '../../../activities/index.js';
import { stageKeys } from '../../../src/core/keys.js';
import { MemoryObjectStore } from '../../../src/storage/object-store.js';
import { StageCache } from '../../../src/storage/stage-cache.js';
import { outputFile, TrialPruned, versioned, type StageRegistry } from '../../../src/stages/types.js';

const stages: StageRegistry = {
  prep: ({ params }) => ({
    output: { rows: Number(params.n) * 10 },
    metrics: { rows: Number(params.n) * 10 },
    cost: 1.5,
  }),
  train: async ({ parent }) => ({
    output: new Uint8Array([1, 2]),
    metrics: { acc: (await parent!.json<{ rows: number }>()).rows / 100 },
  }),
  nan: () => ({ output: null, metrics: { acc: Number.NaN, loss: -Infinity, rows: 3 } }),
  // Reads every earlier output three ways and reports what it saw.
  inspect: async ({ parent, ancestors, seed }) => {
    const chunks: Buffer[] = [];
    for await (const chunk of await parent!.stream()) chunks.push(chunk as Buffer);
    const streamed = Buffer.concat(chunks);
    const fromPrep = await ancestors['prep']!.json<{ rows: number }>();
    return {
      output: { seed, stages: Object.keys(ancestors), streamed: Array.from(streamed), rows: fromPrep.rows },
      metrics: { parentBytes: (await parent!.bytes()).length, parentSize: parent!.size },
    };
  },
  broken: () => {
    throw new Error('kaput');
  },
  // Reports a curve; stops when told to (Optuna's should_prune / TrialPruned pattern).
  curve: ({ params, report, shouldPrune }) => {
    for (let epoch = 0; epoch < 4; epoch++) {
      report(epoch, Number(params.lr) * (epoch + 1));
      if (shouldPrune()) throw new TrialPruned();
    }
    return { output: null, metrics: { acc: Number(params.lr) * 4 } };
  },
  progress: ({ params, report, heartbeat }) => {
    report(0, Number(params.lr));
    report(1, Number(params.lr) * 2);
    heartbeat({ epoch: 1 });
    return { output: null };
  },
  ownPrune: ({ report }) => {
    report(2, 9);
    throw new TrialPruned('loss exploded');
  },
  badReport: ({ report }) => {
    report(2, 0.5);
    report(1, 0.6);
    return { output: null };
  },
  // Writes its output into the attempt's own folder and says where it was.
  scratch: async ({ workdir }) => {
    seenWorkdirs.push(workdir);
    const path = join(workdir, 'model.bin');
    await writeFile(path, 'weights');
    return { output: outputFile(path), metrics: { files: (await readdir(workdir)).length } };
  },
};
const seenWorkdirs: string[] = [];

const identities = [{ name: 'prep' }, { name: 'train' }];
const config: Record<string, number>[] = [{ n: 3 }, { lr: 0.1 }];
const keys = stageKeys('pipe', identities, config);

function input(index: number, implementation = identities[index]!.name): RunStageInput {
  return {
    studyId: 's',
    trialIndex: 0,
    pipelineId: 'pipe',
    stageIndex: index,
    stageName: identities[index]!.name,
    implementation,
    version: '1',
    params: config[index]!,
    key: keys[index]!,
    parentKey: index === 0 ? null : keys[index - 1]!,
  };
}

// Failures are the point of several tests here; don't log them as warnings.
const quiet = new DefaultLogger('ERROR');

/** MockActivityEnvironment.run with the activity's own return type. */
function run<A extends unknown[], R>(
  env: MockActivityEnvironment,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}

function setup() {
  const store = new MemoryObjectStore();
  let now = 1_000_000;
  const activities = createActivities({ store, stages, clock: () => (now += 250) });
  return { store, activities, env: new MockActivityEnvironment({ heartbeatTimeoutMs: 3000 }, { logger: quiet }) };
}

describe('runStage', () => {
  it('runs a stage, commits its output under its key, and reports cost and metrics', async () => {
    const { store, activities, env } = setup();
    const out = await run(env, activities.runStage, input(0));
    expect(out).toMatchObject({ key: keys[0], cost: 1.5, metrics: { rows: 30 }, recovered: false });
    // The worker that ran it, by the SDK's default identity.
    expect(out.worker).toEqual({
      identity: `${process.pid}@${hostname()}`,
      sdk: 'typescript',
      memotune: packageVersion,
    });
    const meta = await new StageCache(store).readMeta(keys[0]!);
    expect(meta).toMatchObject({ stage: 'prep', cost: 1.5, format: 'json' });
  });

  it("feeds the parent's stored output to the next stage and measures wall time when no cost is reported", async () => {
    const { activities, env } = setup();
    await run(env, activities.runStage, input(0));
    const out = await run(env, activities.runStage, input(1));
    expect(out.metrics).toEqual({ acc: 0.3 });
    expect(out.cost).toBeGreaterThan(0);
    expect(out.cost).toBe(out.wallSeconds);
  });

  it('returns the committed output instead of re-running when an earlier attempt already wrote it', async () => {
    const { activities, env } = setup();
    const first = await run(env, activities.runStage, input(0));
    const again = await run(env, activities.runStage, input(0));
    expect(again).toMatchObject({ recovered: true, cost: first.cost, sha256: first.sha256 });
  });

  it('keeps the output of a stage that reports non-finite metrics, and names them apart', async () => {
    const { activities, env } = setup();
    const nan = await run(env, activities.runStage, input(0, 'nan'));
    expect(nan.metrics).toEqual({ rows: 3 });
    expect(nan.nonFiniteMetrics).toEqual({ acc: 'NaN', loss: '-Infinity' });
    // Committed: a repeat recovers it (with the finite metrics, as meta.json stores them).
    const again = await run(env, activities.runStage, input(0, 'nan'));
    expect(again).toMatchObject({ recovered: true, metrics: { rows: 3 } });
  });

  it('refuses, without retry, a stage that is not registered', async () => {
    const { activities, env } = setup();
    const unknown = await run(env, activities.runStage, input(0, 'nope')).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ApplicationFailure);
    expect(unknown).toMatchObject({ type: 'UnknownStage', nonRetryable: true });
    // It says what this worker serves: a queue shared by workers with different stage sets shows.
    expect((unknown as Error).message).toMatch(/no stage implementation named 'nope' .* \(it serves '.+'/);
    expect((unknown as Error).message).toContain('every worker of a queue must register the same stages');
    const typo = await run(env, activities.runStage, input(0, 'trian')).catch((e: unknown) => e);
    expect((typo as Error).message).toMatch(/\(it serves '.+'; did you mean 'train'\?\)/);
    // The user's own stages come first; the built-in synthetic ones are only counted.
    const withBuiltIns = createActivities({
      store: new MemoryObjectStore(),
      stages: { ...stages, 'synthetic/paper-3stage/s0': stages.prep!, 'synthetic/paper-3stage/s1': stages.prep! },
    });
    const buried = await run(env, withBuiltIns.runStage, input(0, 'nope')).catch((e: unknown) => e);
    expect((buried as Error).message).toMatch(/\(it serves '[^)]*', 2 built-in synthetic stages\)/);
    expect((buried as Error).message).not.toContain('synthetic/');
  });

  it('wraps a throwing stage as a retryable StageFailed carrying the cost it spent', async () => {
    const { activities, env } = setup();
    const failure = await run(env, activities.runStage, input(0, 'broken')).catch((e: unknown) => e);
    expect(failure).toMatchObject({ type: 'StageFailed', nonRetryable: false });
    expect((failure as ApplicationFailure).message).toContain('kaput');
    const details = (failure as ApplicationFailure).details?.[0] as { spentCost: number };
    expect(details.spentCost).toBeGreaterThan(0);
  });

  it('refuses, without running or retrying, code that declares another version than the config gives', async () => {
    let ran = 0;
    const activities = createActivities({
      store: new MemoryObjectStore(),
      stages: {
        ...stages,
        prep: versioned('2', () => {
          ran++;
          return { output: 1 };
        }),
      },
    });
    const { env } = setup();
    const refused = await run(env, activities.runStage, input(0, 'prep')).catch((e: unknown) => e);
    expect(refused).toMatchObject({ type: 'StageVersionMismatch', nonRetryable: true });
    expect((refused as Error).message).toContain(
      "this worker's code is version '2' (versioned()), but the study config gives the stage version '1'",
    );
    expect(ran).toBe(0);
  });

  it('does not retry an error of a class the config names (retry.nonRetryableErrors), nor of its subclasses', async () => {
    const { activities, env } = setup();
    // 'broken' throws a plain Error: named, it ends the stage; other names leave it retryable.
    const named = await run(env, activities.runStage, { ...input(0, 'broken'), nonRetryableErrors: ['Error'] }).catch(
      (e: unknown) => e,
    );
    expect(named).toMatchObject({ type: 'StageFailed', nonRetryable: true });
    const other = await run(env, activities.runStage, {
      ...input(0, 'broken'),
      nonRetryableErrors: ['RangeError'],
    }).catch((e: unknown) => e);
    expect(other).toMatchObject({ type: 'StageFailed', nonRetryable: false });
    class DataError extends TypeError {}
    expect(isOfErrorClass(new DataError('x'), ['TypeError'])).toBe(true);
    expect(isOfErrorClass(new DataError('x'), ['DataError'])).toBe(true);
    expect(isOfErrorClass(Object.assign(new Error('x'), { name: 'AbortError' }), ['AbortError'])).toBe(true);
    expect(isOfErrorClass(new RangeError('x'), ['TypeError'])).toBe(false);
    expect(isOfErrorClass('a string', ['String'])).toBe(false);
  });

  it('gives each attempt its own empty folder, stores an output written there, then deletes the folder', async () => {
    const { activities, env, store } = setup();
    const out = await run(env, activities.runStage, input(0, 'scratch'));
    expect(out.metrics).toEqual({ files: 1 });
    const stored = await new StageCache(store).readOutput(keys[0]!);
    expect(new TextDecoder().decode(stored.body)).toBe('weights');
    expect(seenWorkdirs).toHaveLength(1);
    expect(existsSync(seenWorkdirs[0]!)).toBe(false);
    // A failed attempt's folder goes too.
    const failing = createActivities({
      store: new MemoryObjectStore(),
      stages: {
        ...stages,
        scratch: async (context) => {
          seenWorkdirs.push(context.workdir);
          throw new Error('out of memory');
        },
      },
    });
    await run(env, failing.runStage, input(0, 'scratch')).catch(() => {});
    expect(seenWorkdirs).toHaveLength(2);
    expect(seenWorkdirs[1]).not.toBe(seenWorkdirs[0]);
    expect(existsSync(seenWorkdirs[1]!)).toBe(false);
  });

  it('fails cleanly when the parent output is missing', async () => {
    const { activities, env } = setup();
    const failure = await run(env, activities.runStage, input(1)).catch((e: unknown) => e);
    expect(failure).toMatchObject({ type: 'CacheMiss', nonRetryable: true });
  });
});

describe('runStage with intermediate values', () => {
  const withPrune = (lr: number, prune?: RunStageInput['prune']): RunStageInput => ({
    ...input(1, 'curve'),
    params: { lr },
    key: stageKeys('pipe', identities, [config[0]!, { lr }])[1]!,
    ...(prune === undefined ? {} : { prune }),
  });
  const reference = { direction: 'maximize', steps: [0, 1, 2, 3], thresholds: [0.1, 0.2, 0.3, 0.4] } as const;

  it('returns what the stage reported, and no intermediate field when it reported nothing', async () => {
    const { activities, env } = setup();
    await run(env, activities.runStage, input(0));
    const out = await run(env, activities.runStage, withPrune(0.1));
    expect(out.intermediate).toEqual({ steps: [0, 1, 2, 3], values: [0.1, 0.2, 0.30000000000000004, 0.4] });
    expect(out.metrics).toEqual({ acc: 0.4 });
    expect(await run(env, activities.runStage, input(0))).not.toHaveProperty('intermediate');
  });

  it('keeps a stage that is level with the reference; prunes one below it, without retry and without committing', async () => {
    const { activities, env, store } = setup();
    await run(env, activities.runStage, input(0));
    expect(await run(env, activities.runStage, withPrune(0.1, reference))).toMatchObject({ metrics: { acc: 0.4 } });
    const pruned = await run(env, activities.runStage, withPrune(0.05, reference)).catch((e: unknown) => e);
    expect(pruned).toBeInstanceOf(ApplicationFailure);
    expect(pruned).toMatchObject({
      type: 'TrialPruned',
      nonRetryable: true,
      message: "stage 'train' pruned the trial at step 0",
      details: [{ attempt: 1, intermediate: { steps: [0], values: [0.05] } }],
    });
    expect((pruned as ApplicationFailure).details![0]).toHaveProperty('spentCost', expect.any(Number));
    const key = withPrune(0.05).key;
    expect(await new StageCache(store).readMeta(key)).toBeNull();
  });

  it("heartbeats the stage's last report, for `study status`", async () => {
    const { activities, env } = setup();
    const beats: { reported?: unknown; details?: unknown }[] = [];
    env.on('heartbeat', (details: (typeof beats)[number]) => beats.push(details));
    await run(env, activities.runStage, input(0));
    await run(env, activities.runStage, { ...input(1, 'progress'), params: { lr: 0.3 } });
    expect(beats.at(-1)).toMatchObject({ stage: 'train', details: { epoch: 1 }, reported: { step: 1, value: 0.6 } });
  });

  it("keeps the stage's own TrialPruned message", async () => {
    const { activities, env } = setup();
    await run(env, activities.runStage, input(0));
    const pruned = await run(env, activities.runStage, input(1, 'ownPrune')).catch((e: unknown) => e);
    expect(pruned).toMatchObject({
      type: 'TrialPruned',
      message: "stage 'train' pruned the trial at step 2: loss exploded",
    });
  });

  it('fails a stage whose steps do not increase, without retry, naming the rule', async () => {
    const { activities, env } = setup();
    await run(env, activities.runStage, input(0));
    const failure = await run(env, activities.runStage, input(1, 'badReport')).catch((e: unknown) => e);
    // A bug in the stage's code: another attempt would repeat it at full cost.
    expect(failure).toMatchObject({
      type: 'StageFailed',
      nonRetryable: true,
      message: "stage 'train' failed: report(): step 1 is not after the last reported step 2 (steps must increase)",
    });
  });
});

describe('runStage reading earlier outputs', () => {
  const threeStages = [{ name: 'prep' }, { name: 'train' }, { name: 'inspect' }];
  const threeConfig: Record<string, number>[] = [{ n: 3 }, { lr: 0.1 }, { k: 1 }];
  const threeKeys = stageKeys('pipe', threeStages, threeConfig);
  const stageInput = (index: number): RunStageInput => ({
    ...input(Math.min(index, 1)),
    stageIndex: index,
    stageName: threeStages[index]!.name,
    implementation: threeStages[index]!.name,
    params: threeConfig[index]!,
    key: threeKeys[index]!,
    parentKey: index === 0 ? null : threeKeys[index - 1]!,
    ancestors: threeStages.slice(0, index).map((stage, at) => ({ stage: stage.name, key: threeKeys[at]! })),
    seed: 1234 + index,
  });

  it('gives a stage its seed and every ancestor by name, lazily, as JSON, bytes or a verified stream', async () => {
    const { activities, env, store } = setup();
    for (const index of [0, 1, 2]) await run(env, activities.runStage, stageInput(index));
    const meta = await new StageCache(store).readOutput(threeKeys[2]!);
    expect(JSON.parse(new TextDecoder().decode(meta.body))).toEqual({
      seed: 1236,
      stages: ['prep', 'train'],
      streamed: [1, 2],
      rows: 30,
    });
    expect(meta.meta.metrics).toEqual({ parentBytes: 2, parentSize: 2 });
  });

  it('refuses to start, without retry, when an ancestor is missing, and maps a damaged stream to CacheMiss', async () => {
    const { activities, env, store } = setup();
    await run(env, activities.runStage, stageInput(0));
    const missing = await run(env, activities.runStage, stageInput(2)).catch((e: unknown) => e);
    expect(missing).toMatchObject({ type: 'CacheMiss', nonRetryable: true });
    expect((missing as Error).message).toContain("stage 'train'");

    const train = await run(env, activities.runStage, stageInput(1));
    await store.put(`outputs/${threeKeys[1]}/data-${train.sha256}`, new Uint8Array([9, 9]));
    const damaged = await run(env, activities.runStage, stageInput(2)).catch((e: unknown) => e);
    expect(damaged).toMatchObject({ type: 'CacheMiss', nonRetryable: true });
    expect((damaged as Error).message).toContain('corrupted');
  });
});

/** A store that answers every call as S3 does a request signed with the wrong secret (or as a full MinIO). */
function refusingStore(full = false): MemoryObjectStore {
  const refusal = () =>
    Promise.reject(
      full
        ? Object.assign(new Error('Storage backend has reached its minimum free drive threshold.'), {
            name: 'XMinioStorageFull',
            $metadata: { httpStatusCode: 507 },
          })
        : Object.assign(new Error('The request signature we calculated does not match the signature you provided.'), {
            name: 'SignatureDoesNotMatch',
            $metadata: { httpStatusCode: 403 },
          }),
    );
  const store = new MemoryObjectStore();
  for (const method of ['get', 'getStream', 'put', 'putStream', 'putFile', 'exists', 'list', 'delete'] as const)
    (store as unknown as Record<string, unknown>)[method] = refusal;
  return store;
}

describe('a store that refuses the worker (wrong credentials, access denied)', () => {
  it.each(['lookupCache', 'runStage'] as const)(
    '%s fails once, not retried, as StoreRefused saying what to fix',
    async (activity) => {
      const activities = createActivities({ store: refusingStore(), stages });
      const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3000 }, { logger: quiet });
      const failure = await (
        activity === 'lookupCache'
          ? run(env, activities.lookupCache, { pipelineId: 'pipe', stages: identities, config })
          : run(env, activities.runStage, input(0))
      ).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: 'StoreRefused', nonRetryable: true });
      expect((failure as Error).message).toContain(
        `worker's request (SignatureDoesNotMatch: The request signature we calculated does not match`,
      );
      expect((failure as Error).message).toContain('fix its S3 settings or credentials');
    },
  );

  it('says a full store is full, not that its credentials are wrong', async () => {
    const activities = createActivities({ store: refusingStore(true), stages });
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3000 }, { logger: quiet });
    const failure = await run(env, activities.runStage, input(0)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ type: 'StoreRefused', nonRetryable: true });
    expect((failure as Error).message).toContain('(XMinioStorageFull: Storage backend has reached');
    expect((failure as Error).message).toContain('the store is full or over its quota: free space');
    expect((failure as Error).message).not.toContain('credentials');
  });
});

describe('lookupCache', () => {
  it('finds the longest prefix of committed outputs', async () => {
    const { activities, env } = setup();
    expect(
      (await run(env, activities.lookupCache, { pipelineId: 'pipe', stages: identities, config })).cached,
    ).toHaveLength(0);
    await run(env, activities.runStage, input(0));
    const lookup = await run(env, activities.lookupCache, { pipelineId: 'pipe', stages: identities, config });
    expect(lookup.keys).toEqual(keys);
    expect(lookup.cached.map((meta) => meta.stage)).toEqual(['prep']);
  });
});

describe('suggestNext', () => {
  it('turns a bad request into a non-retryable InvalidSuggestRequest failure', async () => {
    const activities = createActivities({
      store: new MemoryObjectStore(),
      stages,
      suggest: () => {
        throw new RangeError('space must have at least one stage');
      },
    });
    const failure = await run(new MockActivityEnvironment({}, { logger: quiet }), activities.suggestNext, {
      space: [],
      history: [],
      budget: { total: 1, spent: 0 },
      direction: 'maximize',
      settings: {},
      seed: 0,
    }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ type: 'InvalidSuggestRequest', nonRetryable: true });
  });
});
