/**
 * `memotune cache ls|prune` (the compiled CLI) against the real Temporal and S3 servers: a
 * finished study's outputs listed by study and pruned, a live study paused in a running trial
 * whose top-Q and running prefixes survive a prune to 0 bytes, and re-runs that recompute
 * exactly what was pruned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStudy } from '../../src/client/index.js';
import type { TrialRecord } from '../../src/core/study.js';
import { StageCache } from '../../src/storage/stage-cache.js';
import { TrialLog } from '../../src/storage/trial-log.js';
import { cliEnv, runCli } from './cli.js';
import { createTestEnv, type TestEnv } from './harness.js';
import { pacedStages } from './fixtures/paced-stages.js';
import { paper3Config, paper3Stages, paper3Study } from './fixtures/pipelines.js';

let env: TestEnv;

/** Stage attempts held at their start until the test lets them go (trial → stage index). */
const holds = new Map<string, { reached: () => void; released: Promise<void> }>();
const holdKey = (studyId: string, trialIndex: number, stage: number) => `${studyId}#${trialIndex}#${stage}`;

function hold(studyId: string, trialIndex: number, stage: number): { reached: Promise<void>; release: () => void } {
  let reached!: () => void;
  let release!: () => void;
  const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  holds.set(holdKey(studyId, trialIndex, stage), { reached, released });
  return { reached: reachedPromise, release };
}

beforeAll(async () => {
  env = await createTestEnv('cache-cli');
  await env.startWorkers(
    pacedStages(paper3Stages, {
      delayMs: 0,
      onStart: async (context) => {
        const held = holds.get(holdKey(context.trial.studyId, context.trial.trialIndex, context.stage.index));
        if (held === undefined) return;
        held.reached();
        let released = false;
        void held.released.then(() => (released = true));
        // Heartbeat while held: the hold must not look like a dead worker.
        while (!released) {
          context.heartbeat();
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      },
    }),
  );
});

afterAll(async () => {
  await env?.close();
});

// c1 reuses c0's first stage; c3 reuses c2's first two stages.
const configs = [
  paper3Config([0.5, -0.5, 0.1, 0.2, 0.3, 3, 4]),
  paper3Config([0.5, -0.5, 0.6, 0.7, 0.8, 1, 2]),
  paper3Config([-1, 1, 0.4, 0.4, 0.4, 5, 5]),
  paper3Config([-1, 1, 0.4, 0.4, 0.4, 8, 0.5]),
];

const studyConfig = (name: string) =>
  paper3Study({ name, budget: 10_000, maxTrials: configs.length, enqueue: configs, optimizer: { topQ: 1 } });

async function committedKeys(): Promise<string[]> {
  return (await env.store.list('outputs/'))
    .filter((object) => object.endsWith('/meta.json'))
    .map((object) => object.split('/')[1]!)
    .sort();
}

const cli = (args: string[]) => runCli(['cache', ...args], cliEnv(env.s3KeyPrefix), 120_000);

function distinct(records: readonly TrialRecord[], pick: (record: TrialRecord) => readonly string[]): string[] {
  return [...new Set(records.flatMap((record) => [...pick(record)]))].sort();
}

describe('memotune cache (CLI against the real servers)', () => {
  it("lists a finished study's outputs by study, prunes nothing in a dry run, everything with --apply, and a re-run recomputes it", async () => {
    const studyId = `${env.taskQueuePrefix}-done`;
    const { handle } = await startStudy(env.client, studyConfig('cache-done'), {
      studyId,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    const first = await env.result(handle);
    expect(first.status).toBe('completed');
    const keys = distinct(first.history, (record) => record.keys);
    expect(await committedKeys()).toEqual(keys);

    const listed = await cli(['ls', '--by', 'study', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const byStudy = JSON.parse(listed.stdout) as {
      total: { outputs: number; bytes: number };
      groups: { name: string | null; trialLog?: string; outputs: number; bytes: number }[];
    };
    expect(byStudy.total.outputs).toBe(keys.length);
    expect(byStudy.groups).toEqual([
      { name: studyId, trialLog: first.trialLog, outputs: keys.length, bytes: byStudy.total.bytes },
    ]);
    const table = await cli(['ls', '--by', 'stage']);
    // The default pipeline id is the study name under its queue prefix.
    expect(table.stdout).toMatch(new RegExp(`^${env.taskQueuePrefix}/cache-done/s0\\s+2\\s+`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^total\\s+${keys.length}\\s+`, 'm'));

    const before = await env.store.list('');
    const dryRun = await cli(['prune', '--max-bytes', '0', '--min-age', '0']);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain(`would delete ${keys.length} output(s)`);
    expect(dryRun.stdout).toContain('dry run: nothing was deleted');
    expect(await env.store.list('')).toEqual(before);

    // A finished study is not live: nothing of it is protected.
    const applied = await cli(['prune', '--max-bytes', '0', '--min-age', '0', '--apply']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`deleted ${keys.length} output(s)`);
    expect(await committedKeys()).toEqual([]);
    expect(await env.store.list('outputs/')).toEqual([]);
    // The trial log is not the cache's to prune.
    expect((await env.store.list(first.trialLog!)).length).toBeGreaterThanOrEqual(configs.length);

    const again = await env.result(
      (
        await startStudy(env.client, studyConfig('cache-done'), {
          studyId: `${studyId}-again`,
          taskQueuePrefix: env.taskQueuePrefix,
        })
      ).handle,
    );
    expect(again.history.map((record) => record.objective)).toEqual(first.history.map((record) => record.objective));
    expect(again.history.map((record) => record.cachedPrefix)).toEqual([0, 1, 0, 2]);
    expect(await committedKeys()).toEqual(keys);
  });

  it("keeps a live study's top-Q prefixes and its running trial's outputs, and the study goes on unharmed", async () => {
    const studyId = `${env.taskQueuePrefix}-live`;
    const paused = hold(studyId, 3, 2);
    const { handle } = await startStudy(env.client, studyConfig('cache-live'), {
      studyId,
      taskQueuePrefix: env.taskQueuePrefix,
    });
    await paused.reached;
    const finished = await new TrialLog(env.store).read(`studies/${handle.firstExecutionRunId}/`, 3);
    const best = [...finished].sort((a, b) => b.objective! - a.objective! || a.trialIndex - b.trialIndex)[0]!;
    const running = finished[2]!.keys.slice(0, 2); // trial 3 reuses trial 2's first two stages
    const expectedKept = [...new Set([...best.keys.slice(0, 2), ...running])].sort();
    const all = await committedKeys();

    const dryRun = await cli(['prune', '--max-bytes', '0', '--min-age', '0', '--json']);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(await committedKeys()).toEqual(all);
    const report = JSON.parse(dryRun.stdout) as {
      applied: boolean;
      liveStudies: { studyId: string; topQ: number; topTrials: number[]; runningTrials: number[] }[];
      decisions: { key: string; action: string; reason: string }[];
    };
    expect(report.applied).toBe(false);
    expect(report.liveStudies).toContainEqual(
      expect.objectContaining({ studyId, topQ: 1, topTrials: [best.trialIndex], runningTrials: [3] }),
    );
    const kept = report.decisions.filter((decision) => decision.action === 'keep');
    expect(kept.map((decision) => decision.key).sort()).toEqual(expectedKept);
    for (const key of running) expect(kept.find((decision) => decision.key === key)?.reason).toBe('running');

    const applied = await cli(['prune', '--max-bytes', '0', '--min-age', '0', '--apply']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`live study ${studyId}: top-1 trials ${best.trialIndex}; running trials 3`);
    expect(await committedKeys()).toEqual(expectedKept);

    // The paused trial now reads its parent output (stage 2 reads stage 1's), which survived.
    paused.release();
    const result = await env.result(handle);
    expect(result.status).toBe('completed');
    const trial3 = result.history.find((record) => record.trialIndex === 3)!;
    expect(trial3.status).toBe('completed');
    expect(trial3.cachedPrefix).toBe(2);
    const cache = new StageCache(env.store);
    for (const key of expectedKept) await expect(cache.readOutput(key)).resolves.toBeDefined();

    // A re-run recomputes what was pruned and gets the same results.
    const again = await env.result(
      (
        await startStudy(env.client, studyConfig('cache-live'), {
          studyId: `${studyId}-again`,
          taskQueuePrefix: env.taskQueuePrefix,
        })
      ).handle,
    );
    expect(again.history.every((record) => record.status === 'completed')).toBe(true);
    const objectives = (records: readonly TrialRecord[]) =>
      [...records].sort((a, b) => a.trialIndex - b.trialIndex).map((record) => record.objective);
    expect(objectives(again.history)).toEqual(objectives(result.history));
    const recomputed = again.history.flatMap((record) =>
      record.stagesRun.map((stage) => record.keys[stage]!).filter((key) => !expectedKept.includes(key)),
    );
    expect(recomputed.length).toBeGreaterThan(0);
    expect(await committedKeys()).toEqual(distinct(result.history, (record) => record.keys));
  });
});
