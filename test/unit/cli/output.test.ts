/**
 * What the CLI prints back of user input and of errors (src/cli/format.ts): escaped control
 * characters, and the whole cause chain of an error. (Kept beside the config tests because the
 * refused configs are what it prints most.)
 */
import { describe, expect, it } from 'vitest';
import { ServiceError, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import {
  errorChain,
  formatConfig,
  formatError,
  formatProgress,
  printable,
  printableLines,
} from '../../../src/cli/format.js';
import { progressCard } from '../../../src/core/progress-card.js';
import type { StudyProgress } from '../../../src/core/study.js';

const ESC = '\u001b';

describe('printable', () => {
  it('escapes ESC, other C0 controls, DEL and C1 controls as \\u escapes', () => {
    expect(printable(`${ESC}[31mred${ESC}[0m`)).toBe('\\u001b[31mred\\u001b[0m');
    expect(printable('a\u0000b\u0007c\u007fd\u009be\u0085f')).toBe('a\\u0000b\\u0007c\\u007fd\\u009be\\u0085f');
  });

  it('writes newline, carriage return and tab as \\n, \\r, \\t', () => {
    expect(printable('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
  });

  it('escapes bidirectional overrides, line separators and lone surrogates', () => {
    expect(printable('x\u202eexe.txt\u2028y')).toBe('x\\u202eexe.txt\\u2028y');
    expect(printable('a\ud800b\udc00')).toBe('a\\ud800b\\udc00');
  });

  it('keeps ordinary unicode, emoji and punctuation as they are', () => {
    const text = 'η-學習率 🚀 über/../naïve "quoted" \\ back';
    expect(printable(text)).toBe(text);
  });

  it('printableLines keeps line breaks and escapes the rest', () => {
    expect(printableLines(`one${ESC}[2J\ntwo\tthree`)).toBe('one\\u001b[2J\ntwo\\tthree');
  });
});

describe('formatted study output', () => {
  it('escapes names and values of a configuration', () => {
    const line = formatConfig([{ [`${ESC}[31mlr`]: 0.1, opt: `a${ESC}]0;title\u0007` }], [`st${ESC}age`]);
    expect(line).not.toContain(ESC);
    expect(line).toBe('st\\u001bage: \\u001b[31mlr=0.1 opt=a\\u001b]0;title\\u0007');
  });

  it('escapes the study id and shows why a study failed', () => {
    const progress: StudyProgress = {
      studyId: `id${ESC}[2J`,
      name: 'n',
      status: 'failed',
      budget: 10,
      spent: 1,
      trials: 1,
      failedTrials: 1,
      reusedTrials: 0,
      best: null,
      runningTrial: null,
      runs: 1,
      error: `stage 'train' failed: ${ESC}[31mboom`,
    };
    const text = formatProgress(progress);
    expect(text).not.toContain(ESC);
    expect(text).toContain('study     id\\u001b[2J (failed)');
    expect(text).toContain("error     stage 'train' failed: \\u001b[31mboom");
  });

  it('says when a study ended early by cost-aware stopping', () => {
    const progress: StudyProgress = {
      studyId: 's',
      name: 'n',
      status: 'completed',
      budget: 10,
      spent: 6,
      trials: 12,
      failedTrials: 0,
      reusedTrials: 0,
      best: null,
      runningTrial: null,
      runs: 1,
      error: null,
      earlyStop: 'costAwareStopping',
    };
    expect(formatProgress(progress)).toContain('ended     early, by cost-aware stopping');
    expect(formatProgress({ ...progress, earlyStopEvidence: { bestLogEipc: -4.213, logThreshold: -3.9 } })).toContain(
      "(the best candidate's log(EI / cost) -4.21 ≤ the threshold -3.90, log(stoppingCostWeight))",
    );
    expect(progressCard(progress, 'eeipu', 1)).toContain('**Ended early** cost-aware stopping');
    // The UI's frame is short: why it failed first, then budget and what runs, the (long) best last.
    const card = progressCard({ ...progress, status: 'failed', error: 'stage x broke' }, 'eeipu', 1);
    const at = (text: string) => card.indexOf(text);
    expect(at('**Error**')).toBeLessThan(at('**Budget**'));
    expect(at('**Running**')).toBeLessThan(at('**Best**'));
    const { earlyStop: _none, ...toBudget } = progress;
    expect(formatProgress(toBudget)).not.toContain('ended');
  });

  it('shows the time a stopWhen.afterSeconds limit leaves a running study', () => {
    const endsAt = new Date(Date.now() + 90_500).toISOString();
    const progress: StudyProgress = {
      studyId: 's',
      name: 'n',
      status: 'running',
      budget: 10,
      spent: 1,
      trials: 1,
      failedTrials: 0,
      reusedTrials: 0,
      best: null,
      runningTrial: null,
      runs: 1,
      error: null,
      timeLimitEndsAt: endsAt,
    };
    expect(formatProgress(progress)).toMatch(
      new RegExp(`time {6}(90|91) s left \\(stopWhen.afterSeconds; ends ${endsAt}\\)`),
    );
  });

  it('tells the trials computing from those waiting for a shared prefix, and shows the control state', () => {
    const progress: StudyProgress = {
      studyId: 's',
      name: 'n',
      status: 'running',
      budget: 10,
      spent: 2,
      trials: 4,
      failedTrials: 0,
      reusedTrials: 1,
      best: { trialIndex: 1, objective: 0.5, config: [] },
      runningTrial: 4,
      runningTrials: [
        { trialIndex: 4, config: [] },
        { trialIndex: 6, config: [], waiting: true },
        { trialIndex: 5, config: [] },
      ],
      runs: 1,
      error: null,
      parallelism: 3,
      queued: 2,
    };
    const text = formatProgress(progress);
    expect(text).toContain('running   trials 4, 5');
    expect(text).toContain('waiting   trial 6 (for a prefix a running trial computes)');
    expect(text).toContain('control   parallelism 3; 2 enqueued configurations to run next');
    // The best value says which metric it is.
    expect(formatProgress({ ...progress, objectiveMetric: 'valAcc' })).toContain('best      valAcc 0.500000 (trial 1)');
    // A study every trial of which failed says so when it has ended.
    const failedEverywhere = { ...progress, status: 'completed' as const, best: null, runningTrials: [] };
    expect(formatProgress(failedEverywhere)).toContain('best      none: every trial failed');
    expect(formatProgress(failedEverywhere)).not.toContain('control');
    // Asked to stop: says so until its running trials have finished.
    expect(formatProgress({ ...progress, stopping: true })).toContain(
      'study     s (running, stopping: it finishes its running trials, then ends)',
    );
    expect(formatProgress(progress)).toContain('study     s (running)\n');
  });
});

describe('errorChain / formatError', () => {
  it('prints the root cause of a refused workflow start, once', () => {
    const grpc = Object.assign(new Error('3 INVALID_ARGUMENT: Blob data size exceeds limit'), {
      code: 3,
      details: 'Blob data size exceeds limit',
    });
    const error = new ServiceError('Failed to start Workflow', { cause: grpc });
    expect(formatError(error)).toBe(
      'memotune: Failed to start Workflow\n  caused by: 3 INVALID_ARGUMENT: Blob data size exceeds limit',
    );
  });

  it('follows workflow, activity and application failures with their type and details', () => {
    const application = ApplicationFailure.create({
      message: 'stage "train" param "lr": invalid value',
      type: 'InvalidSuggestRequest',
      details: [{ trial: 3 }],
      nonRetryable: true,
    });
    const activity = new ActivityFailure(
      'Activity task failed',
      'suggestNext',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      'worker',
      application,
    );
    const error = new WorkflowFailedError('Workflow execution failed', activity, RetryState.NON_RETRYABLE_FAILURE);
    expect(errorChain(error)).toEqual([
      'Workflow execution failed',
      'Activity task failed',
      'stage "train" param "lr": invalid value [InvalidSuggestRequest]',
      'details: [{"trial":3}]',
    ]);
  });

  it('drops a cause whose message repeats one already shown', () => {
    const inner = new Error('connection refused');
    const middle = new Error('connect: connection refused', { cause: inner });
    expect(errorChain(new Error('cannot reach Temporal', { cause: middle }))).toEqual([
      'cannot reach Temporal',
      'connect: connection refused',
    ]);
  });

  it('names the errors of an AggregateError with an empty message', () => {
    const refused = (address: string) =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    const error = Object.assign(new AggregateError([refused('127.0.0.1:7233'), refused('[::1]:7233')], ''), {
      code: 'ECONNREFUSED',
    });
    expect(formatError(error)).toBe(
      'memotune: AggregateError ECONNREFUSED\n' +
        '  caused by: connect ECONNREFUSED 127.0.0.1:7233\n' +
        '  caused by: connect ECONNREFUSED [::1]:7233',
    );
  });

  it('escapes every line and survives cycles and non-errors', () => {
    const looped = new Error(`bad ${ESC}[31mname\nsecond line`) as Error & { cause?: unknown };
    looped.cause = looped;
    expect(formatError(looped)).toBe('memotune: bad \\u001b[31mname\\nsecond line');
    expect(formatError('plain string')).toBe('memotune: plain string');
    expect(formatError(undefined)).toBe('memotune: undefined');
  });
});
