import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseStudyConfig } from '../../../src/config/study-config.js';
import type { Client } from '@temporalio/client';
import { enqueueConfigurations } from '../../../src/client/index.js';
import {
  defineStages,
  defineStudy,
  type ConfigurationOf,
  type EnqueuedConfigurationOf,
  type StageOutput,
  versioned,
  versionOf,
} from '../../../src/stages/types.js';

// The assertions on types are checked by `tsc` (npm test type-checks the tests); the runtime
// assertions check that the helpers hand back the very objects they were given.
const study = defineStudy({
  name: 'typed',
  pipeline: {
    stages: [
      {
        name: 'prepare',
        params: [
          { name: 'rows', type: 'int', low: 1, high: 10 },
          { name: 'scaling', type: 'categorical', choices: ['none', 'standard'] },
        ],
      },
      {
        name: 'fit',
        implementation: 'trainer',
        params: [{ name: 'lr', type: 'float', low: 0.001, high: 1, log: true }],
      },
    ],
  },
  objective: { metric: 'score' },
  budget: 10,
});

describe('typed stage registries', () => {
  it('types each implementation by its own stage: numbers, categorical choices, implementation names', () => {
    const stages = defineStages(study, {
      prepare: ({ params, seed, ancestors }) => {
        expectTypeOf(params.rows).toEqualTypeOf<number>();
        expectTypeOf(params.scaling).toEqualTypeOf<'none' | 'standard'>();
        expectTypeOf(seed).toEqualTypeOf<number>();
        expectTypeOf(ancestors).toEqualTypeOf<Readonly<Record<string, StageOutput>>>();
        // @ts-expect-error a parameter of another stage
        void params.lr;
        return { output: params.rows };
      },
      trainer: ({ params }) => {
        expectTypeOf(params.lr).toEqualTypeOf<number>();
        return { output: null, metrics: { score: params.lr } };
      },
    });
    expect(Object.keys(stages)).toEqual(['prepare', 'trainer']);
  });

  it('keeps the typed params through versioned(), which records the version the code declares', async () => {
    const stages = defineStages(study, {
      prepare: ({ params }) => ({ output: params.rows }),
      trainer: versioned('2', ({ params }) => {
        expectTypeOf(params.lr).toEqualTypeOf<number>();
        return { output: null, metrics: { score: params.lr } };
      }),
    });
    expect(versionOf(stages.trainer)).toBe('2');
    expect(versionOf(stages.prepare)).toBeUndefined();
    expect(() => versioned('', () => ({ output: null }))).toThrow(
      'versioned(): the version must be a non-empty string',
    );
  });

  it('takes a stage that leaves out params as one without hyperparameters', () => {
    const withEvaluation = defineStudy({
      name: 'typed-eval',
      pipeline: {
        stages: [{ name: 'fit', params: [{ name: 'lr', type: 'float', low: 0.001, high: 1 }] }, { name: 'evaluate' }],
      },
      objective: { metric: 'score' },
      budget: 10,
    });
    const stages = defineStages(withEvaluation, {
      fit: ({ params }) => ({ output: params.lr }),
      evaluate: ({ params }) => {
        expectTypeOf<keyof typeof params>().toEqualTypeOf<never>();
        return { output: Object.keys(params).length, metrics: { score: 1 } };
      },
    });
    expect(Object.keys(stages)).toEqual(['fit', 'evaluate']);
    expect(parseStudyConfig(withEvaluation).pipeline.stages[1]!.params).toEqual([]);
  });

  it('rejects a registry that misses a stage or names an unknown one (at compile time)', () => {
    // @ts-expect-error 'trainer' is missing
    defineStages(study, { prepare: () => ({ output: 1 }) });
    defineStages(study, {
      prepare: () => ({ output: 1 }),
      trainer: () => ({ output: 2 }),
      // @ts-expect-error 'fit' is the stage name; its implementation is 'trainer'
      fit: () => ({ output: 3 }),
    });
  });

  it('types the subset a worker implements when other stages run elsewhere (options.only)', () => {
    // 'prepare' runs in a Python worker; this registry implements the trainer only.
    const stages = defineStages(
      study,
      {
        trainer: ({ params }) => {
          expectTypeOf(params.lr).toEqualTypeOf<number>();
          return { output: null, metrics: { score: params.lr } };
        },
      },
      { only: ['trainer'] },
    );
    expect(Object.keys(stages)).toEqual(['trainer']);
    // Each of these is a compile error, and refused at run time as well.
    expect(() =>
      // @ts-expect-error a name in `only` that is no stage implementation of the study
      defineStages(study, { trainer: () => ({ output: 1 }) }, { only: ['trainer', 'fit'] }),
    ).toThrow(/names 'fit', not a stage of the study/);
    // @ts-expect-error a listed stage left out
    expect(() => defineStages(study, {}, { only: ['trainer'] })).toThrow(/missing 'trainer'/);
    expect(() =>
      defineStages(
        study,
        {
          trainer: () => ({ output: 1 }),
          // @ts-expect-error a stage implemented but not listed
          prepare: () => ({ output: 2 }),
        },
        { only: ['trainer'] },
      ),
    ).toThrow(/not listed 'prepare'/);
  });

  it('refuses at run time a registry that does not implement exactly the listed stages', () => {
    const untyped = defineStages as (...args: unknown[]) => unknown;
    expect(() => untyped(study, {}, { only: ['trainer'] })).toThrow(
      /implement exactly the stages in options.only; missing 'trainer'/,
    );
    expect(() => untyped(study, { trainer: () => 1, prepare: () => 2 }, { only: ['trainer'] })).toThrow(
      /not listed 'prepare'/,
    );
    expect(() => untyped(study, {}, { only: 'trainer' })).toThrow(/options.only must be a non-empty list/);
    expect(() => untyped(study, {}, { only: [] })).toThrow(/non-empty/);
    // From plain JavaScript a misspelled name is caught against the study itself.
    expect(() => untyped(study, { trainr: () => 1 }, { only: ['trainr'] })).toThrow(
      "defineStages: options.only names 'trainr', not a stage of the study (its implementations: 'prepare', 'trainer')",
    );
  });

  // Checked by tsc only: each call below must be a compile error.
  it('type-checks the study as a config: missing fields, unknown types and methods, strings for numbers', () => {
    const stages = [{ name: 'fit', params: [{ name: 'lr', type: 'float', low: 0.001, high: 1 }] }] as const;
    // @ts-expect-error no budget
    defineStudy({ name: 'x', pipeline: { stages }, objective: { metric: 'score' } });
    // @ts-expect-error a budget given as a string
    defineStudy({ name: 'x', pipeline: { stages }, objective: { metric: 'score' }, budget: '10' });
    defineStudy({
      name: 'x',
      // @ts-expect-error a parameter type that does not exist
      pipeline: { stages: [{ name: 'fit', params: [{ name: 'lr', type: 'flaot', low: 0, high: 1 }] }] },
      objective: { metric: 'score' },
      budget: 10,
    });
    defineStudy({
      name: 'x',
      pipeline: { stages },
      objective: { metric: 'score' },
      budget: 10,
      // @ts-expect-error an optimizer method that does not exist
      optimizer: { method: 'tpe' },
    });
  });

  it('keeps the declared study a valid plain config', () => {
    expect(defineStudy(study)).toBe(study);
    expect(parseStudyConfig(study).pipeline.stages.map((stage) => stage.name)).toEqual(['prepare', 'fit']);
  });

  it('types a configuration of the study for enqueueConfigurations<typeof study> (ConfigurationOf)', async () => {
    expectTypeOf<ConfigurationOf<typeof study>>().toEqualTypeOf<
      readonly [{ readonly rows: number; readonly scaling: 'none' | 'standard' }, { readonly lr: number }]
    >();
    const good: ConfigurationOf<typeof study> = [{ rows: 3, scaling: 'none' }, { lr: 0.01 }];
    // @ts-expect-error a choice the study does not list
    const badChoice: ConfigurationOf<typeof study> = [{ rows: 3, scaling: 'minmax' }, { lr: 0.01 }];
    // @ts-expect-error a misspelled parameter
    const misspelled: ConfigurationOf<typeof study> = [{ rows: 3, scaling: 'none' }, { lrr: 0.01 }];
    // @ts-expect-error a stage left out
    const short: ConfigurationOf<typeof study> = [{ rows: 3, scaling: 'none' }];
    void [badChoice, misspelled, short];
    // The call is typed by the study; the update goes to a client that records what it was sent.
    const sent: unknown[] = [];
    const handle = {
      describe: () => Promise.resolve({ status: { name: 'RUNNING' }, taskQueue: 'q' }),
      executeUpdate: (_: unknown, options: { args: unknown[] }) => {
        sent.push(options.args[0]);
        return Promise.resolve({});
      },
    };
    const client = { workflow: { getHandle: () => handle } } as unknown as Client;
    await enqueueConfigurations<typeof study>(client, 'typed', [good]);
    // @ts-expect-error typed by the study: a wrong type is a compile error
    await enqueueConfigurations<typeof study>(client, 'typed', [[{ rows: '3', scaling: 'none' }, { lr: 0.01 }]]);
    // Parameters may be left out (the trial's suggestion gives them), not misspelled.
    const partial: EnqueuedConfigurationOf<typeof study> = [{ scaling: 'standard' }, {}];
    await enqueueConfigurations<typeof study>(client, 'typed', [partial]);
    // @ts-expect-error a misspelled parameter is still an error
    await enqueueConfigurations<typeof study>(client, 'typed', [[{ scalng: 'none' }, {}]]);
    // Untyped (no study): any configuration, checked by the study at run time.
    await enqueueConfigurations(client, 'typed', [[{ anything: 1 }]]);
    expect(sent).toEqual([
      [good],
      [[{ rows: '3', scaling: 'none' }, { lr: 0.01 }]],
      [partial],
      [[{ scalng: 'none' }, {}]],
      [[{ anything: 1 }]],
    ]);
  });
});
