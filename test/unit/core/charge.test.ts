import { describe, expect, it } from 'vitest';
import { spentBeforeAttempt, spentCostOf, timedOutStageCharge, type TimedOutStage } from '../../../src/core/charge.js';

const beat = (spentCost: unknown, attempt: unknown, spentBefore?: unknown) =>
  spentBefore === undefined
    ? { spentCost, attempt, details: null }
    : { spentCost, spentBefore, attempt, details: null };

describe('timedOutStageCharge', () => {
  const cases: readonly (TimedOutStage & { readonly name: string; readonly charge: number })[] = [
    {
      name: 'charges a start-to-close timeout the whole timeout, not the 2 s its last heartbeat reported',
      timeoutType: 'START_TO_CLOSE',
      lastHeartbeat: beat(2, 1, 0),
      timeoutSeconds: 6,
      lastAttempt: 1,
      charge: 6,
    },
    {
      name: 'adds what earlier attempts spent (spentBefore of the timed-out attempt)',
      timeoutType: 'START_TO_CLOSE',
      lastHeartbeat: beat(8.5, 2, 4.5),
      timeoutSeconds: 6,
      lastAttempt: 2,
      charge: 10.5,
    },
    {
      name: "starts from an earlier attempt's total when the timed-out attempt never heartbeated",
      timeoutType: 'START_TO_CLOSE',
      lastHeartbeat: beat(3, 1),
      timeoutSeconds: 6,
      lastAttempt: 2,
      charge: 9,
    },
    {
      name: 'counts attempts in between that left no heartbeat as timed out',
      timeoutType: 'START_TO_CLOSE',
      lastHeartbeat: beat(3, 1),
      timeoutSeconds: 6,
      lastAttempt: 3,
      charge: 15,
    },
    {
      name: 'charges every attempt its timeout when none ever heartbeated',
      timeoutType: 'START_TO_CLOSE',
      lastHeartbeat: undefined,
      timeoutSeconds: 3,
      lastAttempt: 2,
      charge: 6,
    },
    {
      name: 'charges one timeout when nothing says how many attempts ran',
      timeoutType: 'START_TO_CLOSE',
      lastHeartbeat: undefined,
      timeoutSeconds: 3,
      lastAttempt: null,
      charge: 3,
    },
    {
      name: "takes the heartbeat's attempt as the last one when the last attempt is unknown",
      timeoutType: 'START_TO_CLOSE',
      lastHeartbeat: beat(7, 2, 5),
      timeoutSeconds: 3,
      lastAttempt: null,
      charge: 8,
    },
    {
      name: 'gives a heartbeat without spentBefore (an older worker) the larger of its figure and the timeout',
      timeoutType: 'START_TO_CLOSE',
      lastHeartbeat: beat(2, 2),
      timeoutSeconds: 6,
      lastAttempt: 2,
      charge: 6,
    },
    {
      name: 'never charges less than the last heartbeat reported',
      timeoutType: 'START_TO_CLOSE',
      lastHeartbeat: beat(11, 2),
      timeoutSeconds: 6,
      lastAttempt: 2,
      charge: 11,
    },
    {
      name: 'charges a heartbeat timeout (a dead worker) only what the attempts before it spent',
      timeoutType: 'HEARTBEAT',
      lastHeartbeat: beat(2, 1, 0),
      timeoutSeconds: 6,
      lastAttempt: 1,
      charge: 0,
    },
    {
      name: 'charges a heartbeat timeout after failures the stage itself reported',
      timeoutType: 'HEARTBEAT',
      lastHeartbeat: { spentCost: 3, spentBefore: 1, attempt: 2, charged: true },
      timeoutSeconds: 6,
      lastAttempt: 3,
      charge: 3,
    },
    {
      name: 'charges any other timeout like a dead worker: what the attempts before it spent',
      timeoutType: 'SCHEDULE_TO_CLOSE',
      lastHeartbeat: beat(2.5, 3, 1),
      timeoutSeconds: 6,
      lastAttempt: 3,
      charge: 1,
    },
    {
      name: 'ignores heartbeat details that are not numbers, as if there were none',
      timeoutType: 'START_TO_CLOSE',
      lastHeartbeat: beat('lots', 'one', Number.NaN),
      timeoutSeconds: 4,
      lastAttempt: 2,
      charge: 8,
    },
    {
      name: 'ignores a negative or non-finite spentBefore',
      timeoutType: 'START_TO_CLOSE',
      lastHeartbeat: beat(1, 1, -5),
      timeoutSeconds: 4,
      lastAttempt: 1,
      charge: 4,
    },
    {
      name: 'charges a dead worker with nothing reported nothing',
      timeoutType: 'HEARTBEAT',
      lastHeartbeat: 'garbage',
      timeoutSeconds: 4,
      lastAttempt: 1,
      charge: 0,
    },
  ];

  it.each(cases)('$name', ({ charge, ...stage }) => {
    expect(timedOutStageCharge(stage)).toBeCloseTo(charge, 12);
  });

  it('is finite and at least the timeout for any start-to-close timeout', () => {
    const heartbeats = [undefined, null, 7, beat(Infinity, 1, Infinity), beat(-1, 0), beat(1e300, 2, 1e300)];
    for (const lastHeartbeat of heartbeats) {
      for (const lastAttempt of [null, 1, 2, 5]) {
        const charge = timedOutStageCharge({
          timeoutType: 'START_TO_CLOSE',
          lastHeartbeat,
          timeoutSeconds: 3,
          lastAttempt,
        });
        expect(Number.isFinite(charge)).toBe(true);
        expect(charge).toBeGreaterThanOrEqual(3);
      }
    }
  });
});

describe('spentCostOf', () => {
  it.each([
    [{ spentCost: 2.5, attempt: 1 }, 2.5],
    [{ spentCost: Number.NaN }, 0],
    [{ spentCost: -1 }, 0],
    [{ spentCost: '3' }, 0],
    [undefined, 0],
    [null, 0],
    ['3', 0],
  ])('reads %j as %d', (details, spent) => {
    expect(spentCostOf(details)).toBe(spent);
  });
});

describe('spentBeforeAttempt', () => {
  // A 10 s start-to-close timeout, a 2 s heartbeat timeout.
  const before = (previous: unknown) => spentBeforeAttempt(previous, 10, 2);

  it('carries over an attempt that failed on the stage’s account', () => {
    expect(before({ spentCost: 7, spentBefore: 3, attempt: 2, charged: true })).toBe(7);
  });

  it('does not charge the time of an attempt whose worker died mid-stage', () => {
    expect(before({ spentCost: 4.5, spentBefore: 3, attempt: 2 })).toBe(3);
    expect(before({ spentCost: 0.4, spentBefore: 0, attempt: 1 })).toBe(0);
  });

  it('charges a full timeout for an attempt that ran to within a heartbeat timeout of it', () => {
    expect(before({ spentCost: 11.5, spentBefore: 3, attempt: 2 })).toBe(13);
    expect(before({ spentCost: 7.9, spentBefore: 0, attempt: 1 })).toBe(0);
    expect(before({ spentCost: 8, spentBefore: 0, attempt: 1 })).toBe(10);
  });

  it('keeps the figure of workers that predate spentBefore, and reads nothing from garbage', () => {
    expect(before({ spentCost: 4, attempt: 1 })).toBe(4);
    expect(before(undefined)).toBe(0);
    expect(before({ spentCost: 'x' })).toBe(0);
    expect(before({ spentCost: Number.NaN, charged: true })).toBe(0);
    expect(before([1, 2])).toBe(0);
  });

  it('reads no timeout when the activity has none', () => {
    expect(spentBeforeAttempt({ spentCost: 50, spentBefore: 5 }, 0, 0)).toBe(5);
  });
});
