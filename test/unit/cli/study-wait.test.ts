/** `study start --wait` and `study result --wait` end with the study's verdict (src/cli/commands/study.ts). */
import { describe, expect, it } from 'vitest';
import { waitedExitCode } from '../../../src/cli/commands/study.js';

describe('exit code after waiting for a study', () => {
  it('is 1 for a failed study, so a script does not go on', () => {
    expect(waitedExitCode({ status: 'failed', best: null, trials: 0 })).toBe(1);
  });

  it('is 0 for every other way a study ends with a result', () => {
    const best = { trialIndex: 0, objective: 1, config: [] };
    for (const status of ['completed', 'stopped', 'exhausted'] as const)
      expect(waitedExitCode({ status, best, trials: 3 })).toBe(0);
  });

  it('is 1 for a study whose every trial failed, however it ended', () => {
    expect(waitedExitCode({ status: 'completed', best: null, trials: 2 })).toBe(1);
    // No trial at all (budget spent by nothing, or stopped at once) is not a failure of a trial.
    expect(waitedExitCode({ status: 'stopped', best: null, trials: 0 })).toBe(0);
  });
});
