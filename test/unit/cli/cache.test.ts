/**
 * `memotune cache ls|prune` over an in-memory store and a fake Temporal side: what is kept, what
 * is deleted, dry runs, and the exit codes of bad command lines.
 */
import { CommanderError } from 'commander';
import { beforeEach, describe, expect, it } from 'vitest';
import { cacheCommand, formatBytes, parseDuration, parseSize } from '../../../src/cli/commands/cache.js';
import type { TrialRecord } from '../../../src/core/study.js';
import { MemoryObjectStore } from '../../../src/storage/object-store.js';
import type { LiveWork } from '../../../src/storage/retention.js';
import { StageCache } from '../../../src/storage/stage-cache.js';
import { TrialLog } from '../../../src/storage/trial-log.js';

const now = Date.parse('2026-03-01T12:00:00.000Z');
const minutesAgo = (minutes: number) => new Date(now - minutes * 60_000);

function record(trialIndex: number, objective: number, keys: string[]): TrialRecord {
  return {
    trialIndex,
    config: [{ x: trialIndex }, { y: trialIndex }, { z: trialIndex }],
    objective,
    stageCosts: [1, 1, 1],
    cachedPrefix: 0,
    chargedCost: 3,
    phase: 'bo',
    status: 'completed',
    error: null,
    keys,
    metrics: { objective },
    stagesRun: [0, 1, 2],
    source: 'optimizer',
    acquisition: null,
    predictedCost: null,
    suggestedPrefix: 0,
    optimizerSeconds: 0,
  };
}

const stages = ['prep', 'train', 'eval'];

/**
 * Study `live` (log studies/run-live/) has three finished trials, trial 1 the best, and runs trial
 * 3 now (its first stage reuses C0). E0 was committed 10 minutes ago; everything else 5 hours ago.
 */
async function fixture(store: MemoryObjectStore) {
  const cache = new StageCache(store);
  const chains = [
    ['A0', 'A1', 'A2'],
    ['A0', 'B1', 'B2'],
    ['C0', 'C1', 'C2'],
  ];
  for (const chain of chains) {
    for (const [index, key] of chain.entries()) {
      if (await store.exists(`outputs/${key}/meta.json`)) continue;
      await cache.write(
        key,
        new Uint8Array(100 * (index + 1)),
        { pipelineId: 'pipe', stage: stages[index]!, version: '1', cost: 1, metrics: {} },
        minutesAgo(300),
      );
    }
  }
  await cache.write(
    'E0',
    new Uint8Array(50),
    { pipelineId: 'other', stage: 'prep', version: '1', cost: 1, metrics: {} },
    minutesAgo(10),
  );
  const log = new TrialLog(store);
  await log.append('studies/run-live/', record(0, 1, chains[0]!));
  await log.append('studies/run-live/', record(1, 3, chains[1]!));
  await log.append('studies/run-live/', record(2, 2, chains[2]!));
}

const liveWork: LiveWork = {
  studies: [{ studyId: 'live', trialLog: 'studies/run-live/', trials: 3, direction: 'maximize', topQ: 1 }],
  runningTrials: [{ studyId: 'live', trialIndex: 3, keys: ['C0', 'D1', 'D2'] }],
  warnings: [],
};

let store: MemoryObjectStore;

beforeEach(async () => {
  store = new MemoryObjectStore();
  await fixture(store);
});

async function run(
  args: string[],
  options: { work?: LiveWork | (() => LiveWork); unreachable?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const command = cacheCommand({
    openStore: () => store,
    openStudies: () => {
      if (options.unreachable) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:7233'));
      return Promise.resolve({
        liveWork: () =>
          Promise.resolve(typeof options.work === 'function' ? options.work() : (options.work ?? liveWork)),
        studyIdsByLog: () => Promise.resolve(new Map([['studies/run-live/', 'live']])),
        close: () => Promise.resolve(),
      });
    },
    now: () => now,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  try {
    await command.parseAsync(args, { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    // As src/cli/main.ts exits: a CommanderError with its code, anything else with 1.
    if (error instanceof CommanderError) return { code: error.exitCode, stdout, stderr };
    return { code: 1, stdout, stderr: `${stderr}${error instanceof Error ? error.message : String(error)}` };
  }
}

const committed = async () =>
  (await store.list('outputs/')).filter((key) => key.endsWith('/meta.json')).map((key) => key.split('/')[1]);

describe('memotune cache prune', () => {
  it('is a dry run by default: prints what would go and deletes nothing', async () => {
    const before = await store.list('');
    const { code, stdout } = await run(['prune', '--max-bytes', '0']);
    expect(code).toBe(0);
    for (const key of ['A1', 'A2', 'B2', 'C1', 'C2'])
      expect(stdout).toMatch(new RegExp(`^would delete .* ${key}$`, 'm'));
    expect(stdout).toContain('would delete 5 output(s)');
    expect(stdout).toContain('dry run: nothing was deleted; add --apply to delete');
    // Only one namespace's live studies are protected: it says which.
    expect(stdout).toMatch(/live studies were read from namespace '[^']+' only: a study of another namespace/);
    expect(stdout).toContain('live study live: top-1 trials 1; running trials 3');
    expect(await store.list('')).toEqual(before);
  });

  it('with --apply keeps top-Q prefixes, running trial prefixes and young outputs, and deletes the rest', async () => {
    const { code, stdout } = await run(['prune', '--max-bytes', '0', '--apply']);
    expect(code).toBe(0);
    expect(stdout).toContain('deleted 5 output(s)');
    expect(await committed()).toEqual(['A0', 'B1', 'C0', 'E0']);
    // Nothing of a deleted output is left; what is kept still reads back whole.
    expect(await store.list('outputs/A1/')).toEqual([]);
    const cache = new StageCache(store);
    for (const key of ['A0', 'B1', 'C0', 'E0']) await expect(cache.readOutput(key)).resolves.toBeDefined();
  });

  it('keeps the most recently used outputs within --max-bytes and explains each decision in --json', async () => {
    // Protected: A0 100 + B1 200 + C0 100 + E0 50 = 450 B. All else was committed at once, so
    // shallower stages go first: A1 (200 B) fits in the 300 B left, C1 (200 B) no longer does.
    const { code, stdout } = await run(['prune', '--max-bytes', '750B', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      applied: boolean;
      deleted: { outputs: number; bytes: number };
      kept: { outputs: number; bytes: number };
      decisions: { key: string; action: string; reason: string; neededBy: unknown[] }[];
    };
    expect(report.applied).toBe(false);
    expect(Object.fromEntries(report.decisions.map((decision) => [decision.key, decision.reason]))).toEqual({
      A0: 'top-q',
      B1: 'top-q',
      C0: 'running',
      E0: 'min-age',
      A1: 'size-cap',
      C1: 'over-cap',
      A2: 'over-cap',
      B2: 'over-cap',
      C2: 'over-cap',
    });
    expect(report.decisions.find((decision) => decision.key === 'C0')!.neededBy).toEqual([
      { studyId: 'live', trialIndex: 3 },
    ]);
    expect(report.kept).toEqual({ outputs: 5, bytes: 650 });
    expect(report.deleted).toEqual({ outputs: 4, bytes: 1100 });
    expect(await committed()).toHaveLength(9);
  });

  it('with --min-age 0 and no live studies deletes everything', async () => {
    const { code } = await run(['prune', '--max-bytes', '0', '--min-age', '0', '--apply'], {
      work: { studies: [], runningTrials: [], warnings: [] },
    });
    expect(code).toBe(0);
    expect(await committed()).toEqual([]);
  });

  it('restricts itself to one pipeline with --pipeline', async () => {
    await run(['prune', '--max-bytes', '0', '--min-age', '0', '--top-q', '0', '--pipeline', 'other', '--apply'], {
      work: { studies: [], runningTrials: [], warnings: [] },
    });
    expect(await committed()).toEqual(['A0', 'A1', 'A2', 'B1', 'B2', 'C0', 'C1', 'C2']);
  });

  it('keeps more top trials with --top-q', async () => {
    await run(['prune', '--max-bytes', '0', '--top-q', '3', '--apply']);
    expect(await committed()).toEqual(['A0', 'A1', 'B1', 'C0', 'C1', 'E0']);
  });

  it('leaves alone an output a trial started using while the plan was made', async () => {
    let calls = 0;
    const startedMeanwhile: LiveWork = {
      ...liveWork,
      runningTrials: [...liveWork.runningTrials, { studyId: 'live', trialIndex: 4, keys: ['A0', 'A1', 'X2'] }],
    };
    const { code, stdout } = await run(['prune', '--max-bytes', '0', '--apply'], {
      work: () => (calls++ === 0 ? liveWork : startedMeanwhile),
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^left alone .* A1 \(a trial started using it\)$/m);
    expect(stdout).toContain('deleted 4 output(s)');
    expect(await committed()).toEqual(['A0', 'A1', 'B1', 'C0', 'E0']);
  });

  it("fails without deleting anything when a live study's trial log cannot be read", async () => {
    const before = await store.list('');
    const { code, stderr } = await run(['prune', '--max-bytes', '0', '--apply'], {
      work: { ...liveWork, studies: [{ ...liveWork.studies[0]!, trials: 5 }] },
    });
    expect(code).toBe(1);
    expect(stderr).toContain("cannot read the trial log of live study 'live'");
    expect(stderr).toContain('nothing was deleted');
    expect(await store.list('')).toEqual(before);
  });

  it('fails without deleting anything when Temporal cannot be reached', async () => {
    const before = await store.list('');
    const { code, stderr } = await run(['prune', '--max-bytes', '0', '--apply'], { unreachable: true });
    expect(code).toBe(1);
    expect(stderr).toContain('cannot reach Temporal');
    expect(stderr).toContain('--address');
    expect(await store.list('')).toEqual(before);
  });

  const badLines: [string, string[], string][] = [
    ['a size without a known unit', ['prune', '--max-bytes', '10XB'], '--max-bytes'],
    ['no --max-bytes', ['prune'], '--max-bytes'],
    ['a duration that is not one', ['prune', '--max-bytes', '1GB', '--min-age', 'soon'], '--min-age'],
    ['a fractional --top-q', ['prune', '--max-bytes', '1GB', '--top-q', '1.5'], '--top-q'],
    ['an unknown option', ['prune', '--max-bytes', '1GB', '--forse'], '--forse'],
    ['an unknown grouping', ['ls', '--by', 'color'], '--by'],
    ['an unknown subcommand', ['purge'], 'purge'],
  ];
  for (const [label, args, flag] of badLines) {
    it(`exits 2 naming the flag for ${label}, and deletes nothing`, async () => {
      const before = await store.list('');
      const { code, stderr } = await run(args[0] === 'prune' ? [...args, '--apply'] : args);
      expect(code).toBe(2);
      expect(stderr).toContain(flag);
      expect(await store.list('')).toEqual(before);
    });
  }

  it('shows examples in --help and exits 0', async () => {
    const { code, stdout } = await run(['prune', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Examples:');
    expect(stdout).toContain('--apply');
  });
});

describe('memotune cache ls', () => {
  it('totals outputs by pipeline, with human-readable sizes', async () => {
    const { code, stdout } = await run(['ls']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^pipe\s+8\s+1\.7 KiB$/m);
    expect(stdout).toMatch(/^other\s+1\s+50 B$/m);
    expect(stdout).toMatch(/^total\s+9\s+1\.7 KiB$/m);
  });

  it('totals by stage as JSON', async () => {
    const { stdout } = await run(['ls', '--by', 'stage', '--json']);
    const report = JSON.parse(stdout) as {
      total: { outputs: number; bytes: number };
      groups: { name: string; outputs: number; bytes: number }[];
    };
    expect(report.total).toEqual({ outputs: 9, bytes: 1750 });
    expect(report.groups).toEqual([
      { name: 'pipe/eval', outputs: 3, bytes: 900 },
      { name: 'pipe/train', outputs: 3, bytes: 600 },
      { name: 'pipe/prep', outputs: 2, bytes: 200 },
      { name: 'other/prep', outputs: 1, bytes: 50 },
    ]);
  });

  it('totals by study, naming studies from the server and listing unreferenced outputs apart', async () => {
    await new TrialLog(store).append('studies/run-old/', record(0, 1, ['A0', 'A1', 'A2']));
    const { stdout } = await run(['ls', '--by', 'study']);
    expect(stdout).toMatch(/^live\s+studies\/run-live\/\s+8\s+1\.7 KiB$/m);
    expect(stdout).toMatch(/^\(not on the server\)\s+studies\/run-old\/\s+3\s+600 B$/m);
    expect(stdout).toMatch(/^\(no study\)\s+-\s+1\s+50 B$/m);
    expect(stdout).toMatch(/^total \(each output once\)\s+9\s+1\.7 KiB$/m);
  });
});

describe('sizes and durations', () => {
  it('reads decimal and binary units, any case', () => {
    expect(parseSize('0')).toBe(0);
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('10GB')).toBe(10e9);
    expect(parseSize('500MiB')).toBe(500 * 2 ** 20);
    expect(parseSize('1.5 kib')).toBe(1536);
    for (const bad of ['', '-1', '10 XB', 'GB', '1e3']) expect(() => parseSize(bad)).toThrow('must be a size');
  });

  it('reads durations made of units', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    for (const bad of ['', 'soon', '1 hour', '-1h', '5'])
      expect(() => parseDuration(bad)).toThrow('must be a duration');
  });

  it('prints sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(10 * 2 ** 30)).toBe('10.0 GiB');
  });
});
