/** `study start --wait` and `study result --wait` end with the study's verdict (src/cli/commands/study.ts). */
import { describe, expect, it } from 'vitest';
import { waitedExitCode } from '../../../src/cli/commands/study.js';

describe('exit code after waiting for a study', () => {
  it('is 1 for a failed study, so a script does not go on', () => {
    expect(waitedExitCode({ status: 'failed' })).toBe(1);
  });

  it('is 0 for every other way a study ends', () => {
    for (const status of ['completed', 'stopped', 'exhausted'] as const) expect(waitedExitCode({ status })).toBe(0);
  });
});
