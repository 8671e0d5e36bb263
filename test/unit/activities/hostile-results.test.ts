import { describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  createActivities,
  maxFailureMessageLength,
  maxMetricNameLength,
  maxStageMetrics,
  type RunStageInput,
} from '../../../activities/index.js';
import { stageKeys } from '../../../src/core/keys.js';
import { MemoryObjectStore } from '../../../src/storage/object-store.js';
import { StageCache } from '../../../src/storage/stage-cache.js';
import type { StageImplementation, StageResult } from '../../../src/stages/types.js';

// Every way a stage can hand back something unusable, and what runStage must turn it into: a
// failure of a known type, retried only when a re-run could help, whose message names the problem
// and whose details carry what the stage spent (so the trial is charged), and nothing committed.

const quiet = new DefaultLogger('ERROR');
const identities = [{ name: 'hostile' }, { name: 'reader' }];
const config: Record<string, number>[] = [{ x: 1 }, { y: 2 }];
const keys = stageKeys('pipe', identities, config);
/** Every stage below "runs" for this long on the fake clock before it returns or throws. */
const stageMs = 1500;

function input(index: number, implementation: string): RunStageInput {
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
    ancestors: identities.slice(0, index).map((stage, at) => ({ stage: stage.name, key: keys[at]! })),
  };
}

function setup(stage: StageImplementation, options: { startToCloseTimeoutMs?: number } = {}) {
  const store = new MemoryObjectStore();
  const clock = { now: 1_000_000 };
  const activities = createActivities({
    store,
    stages: {
      hostile: (context) => {
        clock.now += stageMs;
        return stage(context);
      },
      // Streams the output of the stage before it and reports how many bytes it saw.
      reader: async ({ parent }) => {
        let bytes = 0;
        for await (const chunk of await parent!.stream()) bytes += (chunk as Buffer).length;
        return { output: null, metrics: { bytes } };
      },
    },
    clock: () => clock.now,
    cancellationGraceMs: 50,
  });
  const env = new MockActivityEnvironment(
    {
      heartbeatTimeoutMs: 3000,
      startToCloseTimeoutMs: options.startToCloseTimeoutMs ?? 60_000,
      attempt: 2,
      heartbeatDetails: { spentCost: 4, attempt: 1 },
    },
    { logger: quiet },
  );
  const heartbeats: Record<string, unknown>[] = [];
  env.on('heartbeat', (details: Record<string, unknown>) => heartbeats.push(details));
  const run = (index = 0, implementation = identities[index]!.name) =>
    env.run(activities.runStage, input(index, implementation)) as ReturnType<typeof activities.runStage>;
  return { store, run, heartbeats, cache: new StageCache(store) };
}

const cyclic = (): unknown => {
  const node: Record<string, unknown> = { name: 'node' };
  node['self'] = node;
  return node;
};
const revokedProxy = (): unknown => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
const manyMetrics = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`m${i}`, i]));
const longName = 'n'.repeat(10 * 1024 * 1024);
const throwingGetter = () => ({
  output: 1,
  get metrics(): Record<string, number> {
    throw new Error('metrics getter exploded');
  },
});

interface Case {
  readonly name: string;
  readonly returns: () => unknown;
  readonly type: 'InvalidStageResult' | 'StageFailed';
  readonly nonRetryable: boolean;
  readonly message: RegExp;
}

const thrown =
  (value: unknown): (() => unknown) =>
  () => {
    throw value;
  };

/** A result refused without retry: re-running the stage would return the same. */
const refused = (name: string, returns: () => unknown, message: RegExp): Case => ({
  name,
  returns,
  type: 'InvalidStageResult',
  nonRetryable: true,
  message,
});
/** A stage that threw: retried per its policy (unless it said not to). */
const threw = (name: string, value: unknown, message: RegExp, nonRetryable = false): Case => ({
  name,
  returns: thrown(value),
  type: 'StageFailed',
  nonRetryable,
  message,
});

const cases: readonly Case[] = [
  refused('a NaN cost', () => ({ output: 1, cost: Number.NaN }), /cost = NaN; cost must be a finite number >= 0/),
  refused('an Infinity cost', () => ({ output: 1, cost: Infinity }), /cost = Infinity/),
  refused('a -Infinity cost', () => ({ output: 1, cost: -Infinity }), /cost = -Infinity/),
  refused('a negative cost', () => ({ output: 1, cost: -2 }), /cost = -2/),
  refused('a string cost', () => ({ output: 1, cost: '3' }), /cost = "3"/),
  refused('a BigInt cost', () => ({ output: 1, cost: 3n }), /cost = 3n \(a BigInt\)/),
  refused(
    'a string metric',
    () => ({ output: 1, metrics: { acc: '0.9' } }),
    /metrics\.acc = "0\.9"; metrics must be numbers/,
  ),
  refused('a boolean metric', () => ({ output: 1, metrics: { ok: true } }), /metrics\.ok = true/),
  refused('metrics as an array', () => ({ output: 1, metrics: [0.5] }), /metrics = an array; metrics must be a plain/),
  refused('metrics as a Map', () => ({ output: 1, metrics: new Map([['acc', 1]]) }), /metrics = an object; metrics/),
  refused('no output field', () => ({ metrics: { acc: 1 } }), /must return an object with an 'output' field/),
  refused('nothing at all', () => undefined, /'output' field, not undefined/),
  refused('a cyclic output', () => ({ output: cyclic() }), /cannot store: .*circular structure/),
  refused('a BigInt in the output', () => ({ output: { n: 10n } }), /cannot store: .*BigInt/),
  refused(
    'a function in the output',
    () => ({ output: { model: { predict: () => 1 } } }),
    /a function at key "predict"/,
  ),
  refused('a function as the output', () => ({ output: () => 1 }), /the output is a function/),
  refused('a toJSON that throws', () => ({ output: { toJSON: thrown(new Error('no JSON')) } }), /as JSON: no JSON/),
  refused('a metrics getter that throws', throwingGetter, /cannot read: metrics getter exploded/),
  // Awaiting it reads its `then`, which throws: to runStage the stage itself failed.
  {
    name: 'a revoked proxy as the result',
    returns: revokedProxy,
    type: 'StageFailed',
    nonRetryable: false,
    message: /failed: .*revoked/,
  },
  refused(
    `${maxStageMetrics + 1} metrics`,
    () => ({ output: 1, metrics: manyMetrics(maxStageMetrics + 1) }),
    new RegExp(`reported ${maxStageMetrics + 1} metrics; at most ${maxStageMetrics} metrics`),
  ),
  refused(
    '100,000 metrics',
    () => ({ output: 1, metrics: manyMetrics(100_000) }),
    /reported 100000 metrics; at most 256/,
  ),
  refused(
    'a 10 MB metric name',
    () => ({ output: 1, metrics: { [longName]: 1 } }),
    new RegExp(`metric name of ${longName.length} characters .*limited to ${maxMetricNameLength} characters`),
  ),
  threw('a thrown string', 'out of GPU memory', /failed: out of GPU memory$/),
  threw('a thrown null', null, /failed: it threw null, not an Error/),
  threw('a thrown undefined', undefined, /failed: it threw undefined, not an Error/),
  threw('a thrown object', { code: 42 }, /failed: it threw an object \{"code":42\}, not an Error/),
  threw('a thrown object whose toString throws', { toString: thrown(new Error('no')) }, /threw an object \{\}, not/),
  threw('a thrown cyclic object', cyclic(), /failed: it threw an object, not an Error/),
  threw('a thrown revoked proxy', revokedProxy(), /failed: it threw a value that cannot be inspected/),
  threw('a thrown Error with an empty message', new TypeError(''), /failed: TypeError$/),
  threw(
    'its own InvalidStageResult',
    ApplicationFailure.nonRetryable('mine', 'InvalidStageResult'),
    /failed: mine/,
    true,
  ),
];

describe('runStage given a hostile stage result', () => {
  it.each(cases)('turns $name into $type', async ({ returns, type, nonRetryable, message }) => {
    const { run, cache } = setup(() => returns() as StageResult);
    const failure = await run().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    const {
      type: actualType,
      nonRetryable: actualNonRetryable,
      message: text,
      details,
    } = failure as ApplicationFailure;
    expect({ type: actualType, nonRetryable: actualNonRetryable }).toEqual({ type, nonRetryable });
    expect(text).toMatch(/^stage 'hostile' /);
    expect(text).toMatch(message);
    expect(text.length).toBeLessThanOrEqual(maxFailureMessageLength + 100);
    // Charged what this attempt spent (1.5 s on the fake clock) on top of the earlier attempt's 4.
    expect(details).toEqual([{ spentCost: 4 + stageMs / 1000, attempt: 2 }]);
    expect(await cache.readMeta(keys[0]!)).toBeNull();
  });

  it('cuts a huge error message and leaves the huge Error out of the failure', async () => {
    const { run } = setup(thrown(new Error('x'.repeat(10 * 1024 * 1024))) as StageImplementation);
    const failure = (await run().catch((error: unknown) => error)) as ApplicationFailure;
    expect(failure.type).toBe('StageFailed');
    expect(failure.message.length).toBeLessThanOrEqual(maxFailureMessageLength + 100);
    expect(failure.message).toMatch(/x…$/);
    expect(failure.cause).toBeUndefined();
  });

  it('accepts exactly the limits: 256 metrics with 200-character names, and a null cost as none', async () => {
    const metrics = Object.fromEntries(
      Array.from({ length: maxStageMetrics }, (_, i) => [`${i}`.padStart(maxMetricNameLength, 'm'), i]),
    );
    const { run } = setup(() => ({ output: { ok: true }, metrics, cost: null as unknown as number }));
    const out = await run();
    expect(Object.keys(out.metrics)).toHaveLength(maxStageMetrics);
    expect(out.cost).toBe(stageMs / 1000);
  });

  it('stores a 50 MB output, and the next stage streams all of it back', async () => {
    const size = 50 * 1024 * 1024;
    const { run } = setup(() => ({ output: new Uint8Array(size).fill(7), metrics: { size } }));
    const out = await run();
    expect(out).toMatchObject({ bytes: size, recovered: false });
    const read = await run(1);
    expect(read.metrics).toEqual({ bytes: size });
  });

  it('gives up on a stage that never returns at its deadline, with what it spent in the last heartbeat', async () => {
    const { run, heartbeats, cache } = setup(() => new Promise<never>(() => undefined), {
      startToCloseTimeoutMs: 100,
    });
    const failure = await run().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CancelledFailure);
    expect(heartbeats.at(-1)).toMatchObject({ spentCost: 4 + stageMs / 1000, spentBefore: 4, attempt: 2 });
    expect(await cache.readMeta(keys[0]!)).toBeNull();
  });
});
