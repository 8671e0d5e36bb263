import { describe, expect, it } from 'vitest';
import type { Configuration, SearchSpace } from '../../../src/core/types.js';
import { SpaceEncoding, validateConfiguration, validateSpace } from '../../../src/space/index.js';

const space: SearchSpace = [
  {
    name: 'prep',
    params: [
      { name: 'lr', type: 'float', low: 1e-5, high: 1e-1, log: true },
      { name: 'frac', type: 'float', low: -2, high: 2 },
    ],
  },
  {
    name: 'train',
    params: [
      { name: 'layers', type: 'int', low: 1, high: 4 },
      { name: 'act', type: 'categorical', choices: ['relu', 'tanh', true] },
      { name: 'batch', type: 'int', low: 16, high: 512, log: true },
    ],
  },
  { name: 'eval', params: [] },
];

describe('SpaceEncoding', () => {
  const enc = new SpaceEncoding(space);

  it('decodes the ends of a float axis to its bounds exactly (log scale too)', () => {
    const bounded = new SpaceEncoding([
      {
        name: 's',
        params: [
          { name: 'lr', type: 'float', low: 0.001, high: 0.5, log: true },
          { name: 'frac', type: 'float', low: 0.1, high: 0.7 },
        ],
      },
    ]);
    // What decoding computed before: the far end of the log axis, back from log space.
    const [lo, hi] = [Math.log(0.001), Math.log(0.5)];
    expect(Math.exp(lo + 1 * (hi - lo))).toBe(0.49999999999999994);
    expect(bounded.decode([1, 1])).toEqual([{ lr: 0.5, frac: 0.7 }]);
    expect(bounded.decode([0, 0])).toEqual([{ lr: 0.001, frac: 0.1 }]);
    expect(bounded.decode([1.5, -2])).toEqual([{ lr: 0.5, frac: 0.1 }]);
  });

  it('takes parameters fixed by low == high (as Optuna does): every point decodes to the one value', () => {
    const fixed = new SpaceEncoding([
      {
        name: 's',
        params: [
          { name: 'f', type: 'float', low: 0.3, high: 0.3 },
          { name: 'flog', type: 'float', low: 2, high: 2, log: true },
          { name: 'i', type: 'int', low: 5, high: 5 },
          { name: 'ilog', type: 'int', low: 8, high: 8, log: true },
          { name: 'stepped', type: 'float', low: 1.5, high: 1.5, step: 0.5 },
          { name: 'x', type: 'int', low: 0, high: 2 },
        ],
      },
    ]);
    expect(fixed.cardinality).toBe(3);
    const only = { f: 0.3, flog: 2, i: 5, ilog: 8, stepped: 1.5 };
    for (const u of [0, 0.37, 1]) {
      const config = fixed.decode([u, u, u, u, u, 0.5]);
      expect(config).toEqual([{ ...only, x: 1 }]);
      const encoded = fixed.encode(config);
      expect(Array.from(encoded).every(Number.isFinite)).toBe(true);
      expect(fixed.decode(encoded)).toEqual(config);
    }
    expect(fixed.enumerate(10)).toEqual([0, 1, 2].map((x) => [{ ...only, x }]));
  });

  it('lays out dims stage by stage with one-hot categoricals', () => {
    expect(enc.dimension).toBe(2 + 1 + 3 + 1);
    expect(enc.stageRanges).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 7 },
      { start: 7, end: 7 },
    ]);
    expect(enc.categoricalDims).toEqual([3, 4, 5]);
    expect(enc.cardinality).toBe(Number.POSITIVE_INFINITY);
  });

  it('encodes by the search-space bounds (log scale in log space)', () => {
    const u = enc.encode([{ lr: 1e-3, frac: 1 }, { layers: 2, act: 'tanh', batch: 16 }, {}]);
    expect(u[0]).toBeCloseTo(0.5, 12);
    expect(u[1]).toBeCloseTo(0.75, 12);
    expect(u[2]).toBeCloseTo(1.5 / 4, 12); // ints own equal cells on [low − ½, high + ½]
    expect(Array.from(u.subarray(3, 6))).toEqual([0, 1, 0]);
    expect(u[6]).toBeGreaterThan(0);
    expect(u[6]).toBeLessThan(0.1);
  });

  it('round-trips every legal configuration exactly for ints and choices', () => {
    for (const layers of [1, 2, 3, 4]) {
      for (const act of ['relu', 'tanh', true] as const) {
        for (const batch of [16, 17, 100, 511, 512]) {
          const config: Configuration = [{ lr: 0.01, frac: -2 }, { layers, act, batch }, {}];
          const back = enc.decode(enc.encode(config));
          expect(back[1]).toEqual({ layers, act, batch });
          expect(back[0]!.lr).toBeCloseTo(0.01, 14);
          expect(back[0]!.frac).toBe(-2);
        }
      }
    }
  });

  it('decodes any point of the cube into a legal configuration, rounding ints', () => {
    for (const t of [0, 0.01, 0.37, 0.5, 0.99, 1]) {
      const u = new Float64Array(enc.dimension).fill(t);
      u[4] = t + 0.1;
      const config = enc.decode(u);
      expect(() => validateConfiguration(space, config)).not.toThrow();
      expect(Number.isInteger(config[1]!.layers)).toBe(true);
      expect(Number.isInteger(config[1]!.batch)).toBe(true);
      expect(config[1]!.act).toBe('tanh');
    }
  });

  it('clamps points outside the cube', () => {
    const config = enc.decode(new Float64Array(enc.dimension).fill(2));
    expect(config[0]!.frac).toBe(2);
    expect(config[1]!.layers).toBe(4);
    expect(config[0]!.lr).toBeLessThanOrEqual(0.1);
  });

  it('snap returns the encoding of the decoded point', () => {
    const u = new Float64Array([0.3, 0.3, 0.3, 0.2, 0.9, 0.1, 0.3]);
    const snapped = enc.snap(u);
    expect(Array.from(snapped.subarray(3, 6))).toEqual([0, 1, 0]);
    expect(enc.decode(snapped)).toEqual(enc.decode(u));
  });

  it('snap is bit for bit encode(decode(u)) on random spaces, outside the cube and on one-hot ties', () => {
    let state = 12345;
    const next = (): number => (state = (state * 48271) % 2147483647) / 2147483647;
    const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1, -0.3, 1.7];
    const bits = (a: Float64Array): number[] => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const outcome = (f: () => Float64Array): number[] | string => {
      try {
        return bits(f());
      } catch (error) {
        return (error as Error).message;
      }
    };
    for (let t = 0; t < 40; t++) {
      const params: SearchSpace[number]['params'] = Array.from({ length: 1 + Math.floor(next() * 5) }, (_, i) => {
        const kind = Math.floor(next() * 5);
        const name = `p${i}`;
        if (kind === 0) return { name, type: 'float' as const, low: -3 * next(), high: 1 + 5 * next() };
        if (kind === 1) return { name, type: 'float' as const, low: 1e-4 + next(), high: 2 + 1e3 * next(), log: true };
        if (kind === 2)
          return { name, type: 'int' as const, low: -Math.floor(5 * next()), high: 1 + Math.floor(9 * next()) };
        if (kind === 3) return { name, type: 'int' as const, low: 1, high: 2 + Math.floor(500 * next()), log: true };
        const choices = (['a', 2, true, 'b', 0.5] as const).slice(0, 1 + Math.floor(next() * 5));
        return { name, type: 'categorical' as const, choices: [...choices] };
      });
      const random = new SpaceEncoding([{ name: 's', params }]);
      for (let k = 0; k < 200; k++) {
        const u = Float64Array.from({ length: random.dimension }, () =>
          next() < 0.1 ? special[Math.floor(next() * special.length)]! : next() * 1.4 - 0.2,
        );
        if (k % 10 === 0) u.fill(0.5); // one-hot ties
        expect(outcome(() => random.snap(u))).toEqual(outcome(() => random.encode(random.decode(u))));
      }
    }
    expect(() => enc.snap(new Float64Array(3))).toThrow(/7 dims/);
    expect(() => enc.snap(new Float64Array(enc.dimension).fill(Number.NaN))).toThrow(/NaN is not a number/);
  });

  it('encodes one stage alone into its own dims', () => {
    const config: Configuration = [{ lr: 0.02, frac: 0 }, { layers: 4, act: 'relu', batch: 512 }, {}];
    const stage = enc.encodeStage(1, config[1]!);
    expect(Array.from(stage)).toEqual(Array.from(enc.encode(config).subarray(2, 7)));
    expect(stage[0]).toBeCloseTo(3.5 / 4, 14);
  });

  it('rejects values outside the space with the stage and param in the message', () => {
    expect(() => enc.encode([{ lr: 1, frac: 0 }, { layers: 1, act: 'relu', batch: 16 }, {}])).toThrow(
      'stage "prep" param "lr": 1 is outside [0.00001, 0.1]',
    );
    expect(() => enc.encode([{ lr: 0.01, frac: 0 }, { layers: 1.5, act: 'relu', batch: 16 }, {}])).toThrow(
      'stage "train" param "layers"',
    );
    expect(() => enc.encode([{ lr: 0.01, frac: 0 }, { layers: 1, act: 'gelu', batch: 16 }, {}])).toThrow(
      'stage "train" param "act"',
    );
  });

  it('enumerates finite spaces', () => {
    const small = new SpaceEncoding([
      { name: 'a', params: [{ name: 'x', type: 'categorical', choices: ['p', 'q'] }] },
      { name: 'b', params: [{ name: 'k', type: 'int', low: 0, high: 2 }] },
    ]);
    expect(small.cardinality).toBe(6);
    const all = small.enumerate(10);
    expect(all).toHaveLength(6);
    expect(new Set(all.map((c) => JSON.stringify(c))).size).toBe(6);
    expect(() => small.enumerate(5)).toThrow(RangeError);
  });
});

describe('validateSpace', () => {
  const bad: [string, SearchSpace, string][] = [
    ['empty space', [], 'search space: must have at least one stage'],
    ['no params', [{ name: 'a', params: [] }], 'search space: at least one stage must have a parameter to tune'],
    [
      'duplicate stage',
      [
        { name: 'a', params: [{ name: 'x', type: 'float', low: 0, high: 1 }] },
        { name: 'a', params: [] },
      ],
      `stage "a": name: duplicate stage name 'a' (also stages[0])`,
    ],
    [
      'low > high',
      [{ name: 'a', params: [{ name: 'x', type: 'float', low: 1, high: 0.5 }] }],
      'stage "a" param "x": low: must be at most high (1 > 0.5)',
    ],
    [
      'log with low ≤ 0',
      [{ name: 'a', params: [{ name: 'x', type: 'float', low: 0, high: 1, log: true }] }],
      'stage "a" param "x": low: must be positive for a log-scale parameter',
    ],
    [
      'non-integer int bounds',
      [{ name: 'a', params: [{ name: 'k', type: 'int', low: 0.5, high: 3 }] }],
      'stage "a" param "k": low: int bounds must be safe integers',
    ],
    [
      'infinite bound',
      [{ name: 'a', params: [{ name: 'x', type: 'float', low: 0, high: Number.POSITIVE_INFINITY }] }],
      'stage "a" param "x": high: must be finite',
    ],
    [
      'empty choices',
      [{ name: 'a', params: [{ name: 'c', type: 'categorical', choices: [] }] }],
      'stage "a" param "c": choices: must list at least one choice',
    ],
    [
      'duplicate choices',
      [{ name: 'a', params: [{ name: 'c', type: 'categorical', choices: [1, 1] }] }],
      'stage "a" param "c": choices[1]: duplicate choice 1',
    ],
    [
      'duplicate param',
      [
        {
          name: 'a',
          params: [
            { name: 'x', type: 'float', low: 0, high: 1 },
            { name: 'x', type: 'float', low: 0, high: 1 },
          ],
        },
      ],
      `stage "a" param "x": name: duplicate parameter name 'x'`,
    ],
    [
      'reserved param name',
      [{ name: 'a', params: [{ name: '__proto__', type: 'float', low: 0, high: 1 }] }],
      'stage "a" param "__proto__": name: is reserved ("__proto__")',
    ],
  ];
  it.each(bad)('rejects %s', (_label, s, message) => {
    expect(() => validateSpace(s)).toThrow(RangeError);
    expect(() => validateSpace(s)).toThrow(message);
  });

  it('accepts a valid space', () => {
    expect(() => validateSpace(space)).not.toThrow();
  });

  it('validateConfiguration rejects missing stages and unknown keys', () => {
    expect(() => validateConfiguration(space, [{}])).toThrow('configuration must have 3 stages');
    expect(() =>
      validateConfiguration(space, [{ lr: 0.01, frac: 0, extra: 1 }, { layers: 1, act: 'relu', batch: 16 }, {}]),
    ).toThrow('stage "prep": unknown parameter "extra"');
  });
});

describe('stepped parameters (Optuna-style step)', () => {
  const stepped: SearchSpace = [
    {
      name: 'train',
      params: [
        { name: 'dropout', type: 'float', low: 0, high: 0.5, step: 0.1 },
        { name: 'width', type: 'int', low: 32, high: 256, step: 32 },
        { name: 'lr', type: 'float', low: 1e-4, high: 1e-1, log: true },
      ],
    },
  ];
  const enc = new SpaceEncoding(stepped);

  it('decodes every point of the cube to a grid value, written without float noise', () => {
    const seen = { dropout: new Set<number>(), width: new Set<number>() };
    for (let i = 0; i <= 1000; i++) {
      const [values] = enc.decode([i / 1000, 1 - i / 1000, 0.5]);
      seen.dropout.add(values!.dropout as number);
      seen.width.add(values!.width as number);
    }
    expect([...seen.dropout].sort((a, b) => a - b)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    expect([...seen.width].sort((a, b) => a - b)).toEqual([32, 64, 96, 128, 160, 192, 224, 256]);
  });

  it('gives each grid value an equal share of its axis, and encode inverts decode', () => {
    // 6 dropout values: each owns 1/6 of the axis, centred at (k + ½)/6.
    const u = enc.encode([{ dropout: 0.3, width: 32, lr: 1e-3 }]);
    expect(u[0]).toBeCloseTo(3.5 / 6, 12);
    expect(u[1]).toBeCloseTo(0.5 / 8, 12);
    const back = enc.decode(u);
    expect(back).toEqual([{ dropout: 0.3, width: 32, lr: expect.closeTo(1e-3, 12) as unknown as number }]);
    expect(enc.snap([0.52, 0.99, 0.5])[0]).toBeCloseTo(3.5 / 6, 12);
  });

  it('counts and enumerates a space of stepped parameters as finite', () => {
    const finite = new SpaceEncoding([stepped[0]!.params.slice(0, 2)].map((params) => ({ name: 'train', params })));
    expect(finite.cardinality).toBe(6 * 8);
    const all = finite.enumerate(100);
    expect(all).toHaveLength(48);
    expect(all[0]).toEqual([{ dropout: 0, width: 32 }]);
    expect(all.at(-1)).toEqual([{ dropout: 0.5, width: 256 }]);
    expect(enc.cardinality).toBe(Number.POSITIVE_INFINITY);
  });

  it('accepts a grid value up to float rounding and refuses a value between steps, naming the step', () => {
    expect(() => validateConfiguration(stepped, [{ dropout: 0.1 + 0.2, width: 64, lr: 0.01 }])).not.toThrow();
    expect(() => validateConfiguration(stepped, [{ dropout: 0.25, width: 64, lr: 0.01 }])).toThrow(
      'stage "train" param "dropout": 0.25 is not a step of 0.1 from 0 (float in [0, 0.5], step 0.1)',
    );
    expect(() => validateConfiguration(stepped, [{ dropout: 0.2, width: 48, lr: 0.01 }])).toThrow(
      'stage "train" param "width": 48 is not a step of 32 from 32 (int in [32, 256], step 32)',
    );
  });

  it('treats an int step of 1 as no step (the same encoding as before steps existed)', () => {
    const plain = new SpaceEncoding([{ name: 's', params: [{ name: 'k', type: 'int', low: 1, high: 9 }] }]);
    const one = new SpaceEncoding([{ name: 's', params: [{ name: 'k', type: 'int', low: 1, high: 9, step: 1 }] }]);
    for (const u of [0, 0.13, 0.5, 0.77, 1]) expect(one.snap([u])).toEqual(plain.snap([u]));
  });
});
