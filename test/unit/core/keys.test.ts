import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/canonical-json.js';
import { stageKeys } from '../../../src/core/keys.js';
import { mulberry32 } from '../../../src/random/index.js';

const stages = [{ name: 'prep' }, { name: 'train', version: '2' }, { name: 'eval' }];
const config: Record<string, number | string | boolean>[] = [{ a: 1, b: 'x' }, { lr: 0.001 }, { k: true }];

describe('canonical JSON', () => {
  it('sorts object keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}',
    );
  });

  it('treats -0 as 0 and keeps numbers in shortest round-trip form', () => {
    expect(canonicalJson([-0, 0.1, 1e-7, 123456789012])).toBe('[0,0.1,1e-7,123456789012]');
  });

  it('orders keys as strings, escapes like JSON, drops undefined members and keeps array holes empty', () => {
    const value = { '2': 'a"b\n', '10': [1e21, 5e-324, true], z: undefined, é: { y: null, x: [] } };
    expect(canonicalJson(value)).toBe('{"10":[1e+21,5e-324,true],"2":"a\\"b\\n","é":{"x":[],"y":null}}');
    // eslint-disable-next-line no-sparse-arrays
    expect(canonicalJson([1, , 3])).toBe('[1,,3]');
    expect(() => canonicalJson([1, undefined])).toThrow(TypeError);
  });

  it('equals JSON.stringify with keys sorted by the built-in sort, on random values', () => {
    // The straightforward definition the implementation must match exactly.
    const reference = (value: unknown): string => {
      if (typeof value === 'number') return Object.is(value, -0) ? '0' : JSON.stringify(value);
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      if (value !== null && typeof value === 'object') {
        const record = value as Record<string, unknown>;
        const keys = Object.keys(record)
          .filter((key) => record[key] !== undefined)
          .sort();
        return `{${keys.map((key) => `${JSON.stringify(key)}:${reference(record[key])}`).join(',')}}`;
      }
      return JSON.stringify(value);
    };
    const random = mulberry32(11);
    const names = ['a', 'b', '', 'é', '"', '\\', '10', '2', 'Z', 'aa', 'B', '01', '\u{1F600}', 'x0'];
    const make = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.35) {
        const k = Math.floor(random() * 6);
        return [null, true, false, (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20), names[k], -0][k];
      }
      if (r < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => make(depth + 1));
      const record: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 6); i > 0; i--) {
        record[names[Math.floor(random() * names.length)]!] = random() < 0.1 ? undefined : make(depth + 1);
      }
      return record;
    };
    for (let i = 0; i < 3000; i++) {
      const value = make(0);
      expect(canonicalJson(value)).toBe(reference(value));
    }
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => canonicalJson(() => 1)).toThrow(TypeError);
  });
});

describe('chained stage keys', () => {
  it('are hex sha-256 digests that never contain raw user strings', () => {
    const keys = stageKeys('my pipeline/../etc', stages, config);
    expect(keys).toHaveLength(3);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('do not depend on parameter key order', () => {
    expect(stageKeys('p', stages, [{ b: 'x', a: 1 }, { lr: 0.001 }, { k: true }])).toEqual(
      stageKeys('p', stages, config),
    );
  });

  it('share a prefix exactly when the leading stages match', () => {
    const base = stageKeys('p', stages, config);
    const lastChanged = stageKeys('p', stages, [config[0]!, config[1]!, { k: false }]);
    const firstChanged = stageKeys('p', stages, [{ a: 2, b: 'x' }, config[1]!, config[2]!]);
    expect(lastChanged.slice(0, 2)).toEqual(base.slice(0, 2));
    expect(lastChanged[2]).not.toBe(base[2]);
    // A change upstream changes every key downstream (stage k's output depends on stages 1..k).
    firstChanged.forEach((key, index) => expect(key).not.toBe(base[index]));
  });

  it('change with the pipeline id and the stage version', () => {
    const base = stageKeys('p', stages, config);
    expect(stageKeys('q', stages, config)[0]).not.toBe(base[0]);
    const bumped = stageKeys('p', [stages[0]!, { name: 'train', version: '3' }, stages[2]!], config);
    expect(bumped[0]).toBe(base[0]);
    expect(bumped[1]).not.toBe(base[1]);
  });

  it('distinguish values that only look alike', () => {
    const one = stageKeys('p', [{ name: 's' }], [{ a: 1 }]);
    const text = stageKeys('p', [{ name: 's' }], [{ a: '1' }]);
    expect(one[0]).not.toBe(text[0]);
  });

  it('refuse a config with the wrong number of stages', () => {
    expect(() => stageKeys('p', stages, config.slice(0, 2))).toThrow(/config has 2 stages, pipeline has 3/);
  });
});

describe('stage key format', () => {
  // Pinned: changing the key tuple silently orphans every cached output of existing users.
  // Change this value only together with a documented cache-format migration.
  it('is stable across releases', () => {
    expect(stageKeys('pipe', [{ name: 'prep' }], [{ a: 1 }])[0]).toBe(PINNED_KEY);
    // The documented tuple: sha256 of canonical JSON [pipeline id, stage, version, params, parent key].
    expect(createHash('sha256').update('["pipe","prep","1",{"a":1},""]').digest('hex')).toBe(PINNED_KEY);
  });
});

const PINNED_KEY = '588c427d699b54a5f0bcb3fddf04db6ebf9cc25def813b4be0b314e6d5888338';
