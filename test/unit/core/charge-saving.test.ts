import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { savedByReuse } from '../../../src/core/charge.js';
import { formatSaving } from '../../../src/cli/format.js';
import type { TrialRecord } from '../../../src/core/study.js';

describe('savedByReuse', () => {
  it('sums what the reused stages would have cost less what they were charged (python/tests/test_trials.py checks the same figure)', () => {
    const fixture = JSON.parse(readFileSync('test/fixtures/trial-records/records.json', 'utf8')) as {
      records: TrialRecord[];
    };
    const saving = savedByReuse(fixture.records)!;
    expect(saving.saved).toBeCloseTo(2.4, 12);
    expect(saving.charged).toBeCloseTo(15.6, 12);
    expect(formatSaving(saving)).toBe(
      'saved     2.4 by reusing cached stages (13.3% of what these trials would have cost without the cache: the same trials, every stage run)',
    );
    expect(savedByReuse(fixture.records.map(({ stageCharges: _, ...record }) => record))).toBeNull();
  });
});
