/** `memotune study list` reads each study's status from its search attribute (src/cli/commands/study.ts). */
import { describe, expect, it } from 'vitest';
import { listedStatus } from '../../../src/cli/commands/study.js';

describe('study list status', () => {
  it('is the search attribute of a running or completed workflow', () => {
    expect(listedStatus('paused', 'RUNNING')).toBe('paused');
    expect(listedStatus('exhausted', 'COMPLETED')).toBe('exhausted');
  });

  it('is failed for a workflow ended from outside, whatever the attribute last said', () => {
    for (const workflowStatus of ['TERMINATED', 'CANCELLED', 'TIMED_OUT', 'FAILED']) {
      expect(listedStatus('running', workflowStatus)).toBe('failed');
    }
  });

  it('is the workflow status of a study started without search attributes', () => {
    expect(listedStatus(undefined, 'RUNNING')).toBe('running');
  });
});
