import { describe, expect, it } from 'vitest';
import type { Configuration, SearchSpace } from '../../../src/core/types.js';
import { SpaceEncoding, validateConfiguration } from '../../../src/space/index.js';

const space: SearchSpace = [
  {
    name: 'prep',
    params: [{ name: 'mode', type: 'categorical', choices: ['fast', 'exact', true, 3] }],
  },
  {
    name: 'train',
    params: [
      { name: 'lr', type: 'float', low: 1e-4, high: 1e-1, log: true },
      { name: 'epochs', type: 'int', low: 1, high: 100 },
      { name: 'act', type: 'categorical', choices: ['relu', 'tanh'] },
    ],
  },
];

const good: Configuration = [{ mode: 'fast' }, { lr: 0.01, epochs: 10, act: 'relu' }];

/** `good` with stage 1's values replaced by `train`. */
const withTrain = (train: Record<string, unknown>): Configuration => [good[0]!, train as Configuration[number]];

function messageOf(config: Configuration): string {
  try {
    validateConfiguration(space, config);
  } catch (error) {
    expect(error).toBeInstanceOf(RangeError);
    return (error as Error).message;
  }
  throw new Error('validateConfiguration accepted the configuration');
}

describe('validateConfiguration messages', () => {
  it('accepts a valid configuration, and the bounds themselves', () => {
    expect(() => validateConfiguration(space, good)).not.toThrow();
    expect(() => validateConfiguration(space, [{ mode: 3 }, { lr: 1e-4, epochs: 100, act: 'tanh' }])).not.toThrow();
    expect(() => validateConfiguration(space, [{ mode: true }, { lr: 0.1, epochs: 1, act: 'relu' }])).not.toThrow();
  });

  it('takes a float a rounding error past a bound (10 ** -4 for a low of 1e-4), not one beyond it', () => {
    expect(10 ** -4).toBeLessThan(1e-4);
    expect(() => validateConfiguration(space, withTrain({ lr: 10 ** -4, epochs: 10, act: 'relu' }))).not.toThrow();
    expect(() =>
      validateConfiguration(space, withTrain({ lr: 0.1 * (1 + 2 ** -52), epochs: 10, act: 'relu' })),
    ).not.toThrow();
    expect(messageOf(withTrain({ lr: 1e-4 * (1 - 1e-12), epochs: 10, act: 'relu' }))).toMatch(
      /is outside \[0\.0001, 0\.1\]/,
    );
  });

  it('names a misspelled key with the known one first, then the parameter it leaves missing', () => {
    expect(messageOf(withTrain({ lr: 0.01, epchs: 10, act: 'relu' }))).toBe(
      'stage "train": unknown parameter "epchs" (did you mean "epochs"?); stage "train" param "epochs": is missing',
    );
  });

  it('does not call a parameter missing when it is there besides the misspelling', () => {
    expect(messageOf(withTrain({ lr: 0.01, epochs: 10, epchs: 10, act: 'relu' }))).toBe(
      'stage "train": unknown parameter "epchs" (did you mean "epochs"?)',
    );
  });

  it('names an unknown key without a suggestion when nothing is near', () => {
    expect(messageOf(withTrain({ lr: 0.01, epochs: 10, act: 'relu', dropout: 0.1 }))).toBe(
      'stage "train": unknown parameter "dropout"',
    );
  });

  it('names a missing key', () => {
    expect(messageOf(withTrain({ lr: 0.01, act: 'relu' }))).toBe('stage "train" param "epochs": is missing');
  });

  it('gives the bounds of a float out of range', () => {
    expect(messageOf(withTrain({ lr: 5, epochs: 10, act: 'relu' }))).toBe(
      'stage "train" param "lr": 5 is outside [0.0001, 0.1]',
    );
    expect(messageOf(withTrain({ lr: '0.01', epochs: 10, act: 'relu' }))).toBe(
      'stage "train" param "lr": "0.01" is not a number (float in [0.0001, 0.1])',
    );
    expect(messageOf(withTrain({ lr: Number.NaN, epochs: 10, act: 'relu' }))).toBe(
      'stage "train" param "lr": NaN is not a number (float in [0.0001, 0.1])',
    );
  });

  it('says an int parameter needs an integer', () => {
    expect(messageOf(withTrain({ lr: 0.01, epochs: 2.5, act: 'relu' }))).toBe(
      'stage "train" param "epochs": 2.5 is not an integer (int in [1, 100])',
    );
    expect(messageOf(withTrain({ lr: 0.01, epochs: 101, act: 'relu' }))).toBe(
      'stage "train" param "epochs": 101 is outside [1, 100]',
    );
  });

  it('lists the choices of a categorical parameter', () => {
    expect(messageOf([{ mode: 'slow' }, good[1]!])).toBe(
      'stage "prep" param "mode": "slow" is not one of ["fast", "exact", true, 3]',
    );
    // The exact type counts: "3" is not the choice 3.
    expect(messageOf([{ mode: '3' }, good[1]!])).toBe(
      'stage "prep" param "mode": "3" is not one of ["fast", "exact", true, 3]',
    );
    expect(messageOf(withTrain({ lr: 0.01, epochs: 10, act: 'RELU' }))).toBe(
      'stage "train" param "act": "RELU" is not one of ["relu", "tanh"] (did you mean "relu"?)',
    );
  });

  it('cuts long choice lists and long keys short', () => {
    const choices = Array.from({ length: 200 }, (_, k) => `choice-${k}`);
    const wide: SearchSpace = [{ name: 's', params: [{ name: 'c', type: 'categorical', choices }] }];
    expect(() => validateConfiguration(wide, [{ c: 'other' }])).toThrow(
      /^stage "s" param "c": "other" is not one of \["choice-0", .*, \.\.\. \(19\d more\)\]$/,
    );
    const key = 'k'.repeat(30_000);
    const message = messageOf(withTrain({ ...good[1], [key]: 1 }));
    expect(message).toBe(`stage "train": unknown parameter "${'k'.repeat(56)}...`);
  });

  it('reports at most five problems and counts the rest', () => {
    const config: Configuration = [
      { a: 1, b: 2, c: 3 },
      { d: 4, e: 5, f: 6 },
    ];
    const message = messageOf(config);
    expect(message.split('; ')).toHaveLength(6);
    expect(message).toMatch(/^stage "prep": unknown parameter "a"; .*; and 5 more problems$/);
  });

  it('says a missing parameter is missing even when its name is inherited from Object.prototype', () => {
    const proto: SearchSpace = [{ name: 's', params: [{ name: 'constructor', type: 'float', low: 0, high: 1 }] }];
    expect(() => validateConfiguration(proto, [{}])).toThrow('stage "s" param "constructor": is missing');
  });

  it('gives the optimizer (SpaceEncoding.encode) the same message for a bad value', () => {
    const encoding = new SpaceEncoding(space);
    const bad = withTrain({ lr: 5, epochs: 10, act: 'relu' });
    expect(() => encoding.encode(bad)).toThrow(messageOf(bad));
    expect(() => encoding.encode(withTrain({ lr: 0.01, act: 'relu' }))).toThrow(
      'stage "train" param "epochs": is missing',
    );
  });
});
