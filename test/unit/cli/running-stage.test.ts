/** `study status`'s line for a stage a trial is computing (src/cli/commands/study.ts). */
import { describe, expect, it } from 'vitest';
import { formatRunningStage } from '../../../src/cli/commands/study.js';

describe('a running stage on the status screen', () => {
  it('names the stage, the attempt out of the limit, how long it has run, the progress and how old that is', () => {
    expect(
      formatRunningStage({
        trialIndex: 4,
        stage: 'train',
        attempt: 2,
        maximumAttempts: 3,
        runningSeconds: 12.34,
        spentSeconds: 3,
        progress: { epoch: 3 },
        lastHeartbeatAgeSeconds: 2.2,
      }),
    ).toBe('  trial 4  train, attempt 2/3, running 12.3 s; progress {"epoch":3} (reported 2 s ago)');
  });

  it('says when the attempt waits out an object-store outage, for how long and why', () => {
    expect(
      formatRunningStage({
        trialIndex: 82,
        stage: 'prep',
        attempt: 1,
        maximumAttempts: 3,
        runningSeconds: 27.6,
        worker: '19108@vm',
        waitingOnStore: { seconds: 24.6, error: 'connect ECONNREFUSED\n 127.0.0.1:7070' },
      }),
    ).toBe(
      '  trial 82 prep, attempt 1/3, running 27.6 s on 19108@vm; waiting out an object-store outage for 25 s (not charged): connect ECONNREFUSED 127.0.0.1:7070',
    );
  });

  it("shows the stage's last reported intermediate value and its step", () => {
    expect(
      formatRunningStage({
        trialIndex: 7,
        stage: 'train',
        attempt: 1,
        maximumAttempts: 3,
        reported: { step: 12, value: 0.8312346 },
        lastHeartbeatAgeSeconds: 4,
      }),
    ).toBe('  trial 7  train, attempt 1/3; step 12: 0.831235 (reported 4 s ago)');
  });

  it('says less when the worker has said less, and cuts long progress (escaped)', () => {
    expect(formatRunningStage({ trialIndex: 12, attempt: 1, maximumAttempts: 0 })).toBe(
      '  trial 12 (stage not named yet: no heartbeat), attempt 1',
    );
    const line = formatRunningStage({
      trialIndex: 1,
      attempt: 1,
      maximumAttempts: 0,
      progress: 'x'.repeat(500) + '\u001b',
    });
    expect(line.length).toBeLessThan(200);
    expect(line).toContain('...');
    expect(line).not.toContain('\u001b');
  });

  it('names the worker running the attempt', () => {
    expect(
      formatRunningStage({
        trialIndex: 3,
        stage: 'fit',
        attempt: 1,
        maximumAttempts: 3,
        runningSeconds: 2,
        worker: '4242@gpu-1',
      }),
    ).toBe('  trial 3  fit, attempt 1/3, running 2.0 s on 4242@gpu-1');
  });

  it('shows a retry in its backoff with why the attempt before failed (an S3 outage names S3)', () => {
    expect(
      formatRunningStage({
        trialIndex: 5,
        stage: 'train',
        attempt: 3,
        maximumAttempts: 5,
        retryInSeconds: 7.6,
        lastFailure: 'write s3://memotune/x: connect ECONNREFUSED\n127.0.0.1:9000',
        worker: '4242@gpu-1',
      }),
    ).toBe(
      '  trial 5  train, attempt 3/5, retrying in 8 s; attempt 2 failed: write s3://memotune/x: connect ECONNREFUSED 127.0.0.1:9000',
    );
    expect(
      formatRunningStage({
        trialIndex: 5,
        stage: 'train',
        attempt: 2,
        maximumAttempts: 0,
        retryInSeconds: 0,
        lastFailure: 'boom',
      }),
    ).toBe('  trial 5  train, attempt 2, retry due: waiting for a worker to take it; attempt 1 failed: boom');
    // A long message is cut on the status line (--json has all of it).
    const line = formatRunningStage({
      trialIndex: 1,
      attempt: 2,
      maximumAttempts: 0,
      retryInSeconds: 3,
      lastFailure: 'y'.repeat(1000),
    });
    expect(line.length).toBeLessThan(300);
  });
});
