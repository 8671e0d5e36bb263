import { describe, expect, it } from 'vitest';
import type { Configuration, SearchSpace } from '../../../src/core/types.js';
import {
  fillConfiguration,
  hasGivenValues,
  isComplete,
  padStages,
  validateConfiguration,
} from '../../../src/space/index.js';

const space: SearchSpace = [
  {
    name: 'prep',
    params: [
      { name: 'frac', type: 'float', low: 0, high: 1 },
      { name: 'mode', type: 'categorical', choices: ['a', 'b'] },
    ],
  },
  { name: 'train', params: [{ name: 'lr', type: 'float', low: 1e-4, high: 0.1, log: true }] },
  { name: 'evaluate', params: [] },
];

describe('partial enqueued configurations', () => {
  it('pads the stages left out at the end with {}', () => {
    expect(padStages(space, [{ mode: 'a' }])).toEqual([{ mode: 'a' }, {}, {}]);
    const whole: Configuration = [{ frac: 0.5, mode: 'a' }, { lr: 0.01 }, {}];
    expect(padStages(space, whole)).toBe(whole);
  });

  it('tells a complete configuration from one that needs filling', () => {
    expect(isComplete(space, [{ frac: 0.5, mode: 'a' }, { lr: 0.01 }, {}])).toBe(true);
    // A left-out parameterless stage needs nothing.
    expect(isComplete(space, [{ frac: 0.5, mode: 'a' }, { lr: 0.01 }])).toBe(true);
    expect(isComplete(space, [{ frac: 0.5 }, { lr: 0.01 }, {}])).toBe(false);
    expect(isComplete(space, [{ frac: 0.5, mode: 'a' }])).toBe(false);
  });

  it("fills what the user left out from the suggestion, keeping the user's values, in the space's order", () => {
    const suggestion: Configuration = [{ frac: 0.1, mode: 'b' }, { lr: 0.002 }, {}];
    const filled = fillConfiguration(space, [{ mode: 'a' }, {}], suggestion);
    expect(filled).toEqual([{ frac: 0.1, mode: 'a' }, { lr: 0.002 }, {}]);
    expect(Object.keys(filled[0]!)).toEqual(['frac', 'mode']);
    expect(fillConfiguration(space, [{ mode: 'a', frac: 0.9 }], suggestion)[0]).toEqual({ frac: 0.9, mode: 'a' });
    expect(() => validateConfiguration(space, filled)).not.toThrow();
  });

  it('validates a partial configuration: what it gives, at least one value, no extra stage', () => {
    expect(() => validateConfiguration(space, [{ mode: 'a' }], { partial: true })).not.toThrow();
    expect(() => validateConfiguration(space, [{}, { lr: 0.01 }], { partial: true })).not.toThrow();
    expect(() => validateConfiguration(space, [{ mode: 'c' }], { partial: true })).toThrow(
      'stage "prep" param "mode": "c" is not one of ["a", "b"]',
    );
    expect(() => validateConfiguration(space, [{ mod: 'a' }], { partial: true })).toThrow(
      'stage "prep": unknown parameter "mod" (did you mean "mode"?)',
    );
    expect(() => validateConfiguration(space, [{}, {}], { partial: true })).toThrow(
      'configuration gives no parameter value',
    );
    expect(() => validateConfiguration(space, [], { partial: true })).toThrow('configuration must have 1 to 3 stages');
    expect(() => validateConfiguration(space, [{ mode: 'a' }, {}, {}, {}], { partial: true })).toThrow(
      'configuration must have 1 to 3 stages',
    );
    // Without `partial` every parameter is needed, as in a suggestion.
    expect(() => validateConfiguration(space, [{ mode: 'a' }, { lr: 0.01 }, {}])).toThrow(
      'stage "prep" param "frac": is missing',
    );
  });

  it('finds a configuration already there: the same one, or for a partial one any that has its values', () => {
    const ran: Configuration = [{ frac: 0.5, mode: 'a' }, { lr: 0.01 }, {}];
    expect(hasGivenValues([{ frac: 0.5, mode: 'a' }, { lr: 0.01 }], ran)).toBe(true);
    expect(hasGivenValues([{ frac: 0.5, mode: 'a' }, { lr: 0.02 }], ran)).toBe(false);
    expect(hasGivenValues([{ mode: 'a' }], ran)).toBe(true);
    expect(hasGivenValues([{}, { lr: 0.01 }], ran)).toBe(true);
    expect(hasGivenValues([{ mode: 'b' }], ran)).toBe(false);
    // A queued partial configuration lacks what it leaves out: it has only its own values.
    expect(hasGivenValues([{ frac: 0.5 }], [{ mode: 'a' }, {}, {}])).toBe(false);
    expect(hasGivenValues([{ mode: 'a' }], [{ mode: 'a' }, {}, {}])).toBe(true);
  });
});
