import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { benchCommand, type BenchReport } from '../../../src/cli/commands/bench.js';

const SPEC = new URL('../../../benchmarks/paper-3stage.json', import.meta.url).pathname;
const FAKE = new URL('./fixtures/fake-optimizer.ts', import.meta.url).href;

describe('memotune bench', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('runs methods × seeds, prints the table and writes JSON and plots', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'memotune-bench-cmd-'));
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const json = join(dir, 'out.json');
    await benchCommand().parseAsync(
      [
        SPEC,
        '--methods',
        'eeipu,random',
        '--seeds',
        '2',
        '--budget',
        '60',
        '--jobs',
        '1',
        '--no-progress',
        '--optimizer',
        FAKE,
        '--json',
        json,
        '--report',
        join(dir, 'plots'),
      ],
      { from: 'user' },
    );
    const printed = out.join('\n');
    expect(printed).toContain('## paper-3stage (budget 60, 2 seeds)');
    expect(printed).toMatch(/\| eeipu \| 2 \|/);
    expect(printed).toContain('EEIPU vs random');
    const report = JSON.parse(await readFile(json, 'utf8')) as BenchReport;
    expect(report.spec.budget).toBe(60);
    expect(report.runs.map((r) => `${r.method}/${r.seed}`)).toEqual(['eeipu/0', 'eeipu/1', 'random/0', 'random/1']);
    for (const r of report.runs) {
      expect(r.metrics.totalCost).toBeGreaterThanOrEqual(60);
      expect(r.trials[0]).toHaveProperty('config');
      expect(r.trials[0]).toHaveProperty('delta');
    }
    expect((await readdir(join(dir, 'plots'))).sort()).toEqual(['best-so-far.svg', 'cumulative-cost.svg']);

    // --from re-summarizes the saved runs without running anything: same table, new plots.
    const again: string[] = [];
    vi.mocked(console.log).mockImplementation((line: string) => void again.push(line));
    await benchCommand().parseAsync(
      ['--from', json, '--optimizer', 'data:text/javascript,', '--report', join(dir, 'replot')],
      {
        from: 'user',
      },
    );
    expect(again.join('\n')).toBe(printed);
    expect((await readdir(join(dir, 'replot'))).sort()).toEqual(['best-so-far.svg', 'cumulative-cost.svg']);
  });

  it('merges saved reports of other seeds with --from and refuses a study twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'memotune-bench-merge-'));
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    const common = [
      SPEC,
      '--methods',
      'random,eeipu',
      '--seeds',
      '1',
      '--budget',
      '40',
      '--jobs',
      '1',
      '--no-progress',
    ];
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    await benchCommand().parseAsync([...common, '--optimizer', FAKE, '--json', a], { from: 'user' });
    await benchCommand().parseAsync([...common, '--seed-offset', '1', '--optimizer', FAKE, '--json', b], {
      from: 'user',
    });
    out.length = 0;
    await benchCommand().parseAsync(['--from', a, b], { from: 'user' });
    expect(out.join('\n')).toContain('## paper-3stage (budget 40, 2 seeds)');
    expect(out.join('\n')).toMatch(/\| eeipu \| 2 \|/);
    const twice = benchCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined })
      .parseAsync(['--from', a, a], { from: 'user' });
    await expect(twice).rejects.toThrow(/--from .*appears twice/);
    await expect(twice).rejects.toMatchObject({ exitCode: 2 });
    const missing = benchCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined })
      .parseAsync(['--from', `${a}.missing`], { from: 'user' });
    await expect(missing).rejects.toThrow(/--from cannot read .*\.missing/);
    await expect(missing).rejects.toMatchObject({ exitCode: 2 });
  });

  it('rejects unknown methods before running anything', async () => {
    const command = benchCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined });
    await expect(command.parseAsync([SPEC, '--methods', 'eeipu,bogus'], { from: 'user' })).rejects.toThrow(
      /unknown method bogus/,
    );
  });

  it.each([
    ['eta=1.5', /eta must be a number in \[0, 1\]/],
    ['eta=0x1', /eta must be a number in \[0, 1\]/],
    ['eta= ', /eta must be a number in \[0, 1\]/],
    ['startsPerPrefix=0', /must be a positive integer/],
    ['bogus=1', /key one of topQ, mcSamples, rawSamples, restarts, startsPerPrefix, eta/],
  ])('rejects --set %s before running anything', async (setting, message) => {
    const command = benchCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined });
    await expect(command.parseAsync([SPEC, '--set', setting], { from: 'user' })).rejects.toThrow(message);
  });

  it.each([
    ['--curves', '1:2', /--curves <epochs:gap>.*give <epochs>:<gap>, an integer from 2 to 1000 and a positive number/],
    ['--curves', '10:-1', /give <epochs>:<gap>/],
    ['--pruner', 'hyperband', /--pruner <type>.*Allowed choices are median, successiveHalving, none/],
    ['--set', 'prunedTrials=worst', /prunedTrials must be one of reported, asFailed/],
  ])('rejects %s %s before running anything, naming the flag', async (flag, value, message) => {
    const command = benchCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined });
    await expect(command.parseAsync([SPEC, flag, value], { from: 'user' })).rejects.toThrow(message);
  });

  it('reports every spec issue with its path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'memotune-bench-bad-'));
    const bad = join(dir, 'bad.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      bad,
      JSON.stringify({
        name: 'x',
        budget: 0,
        stages: [{ name: 's', params: [{ name: 'a', low: 1, high: 0 }], objective: 'levy', cost: [] }],
      }),
    );
    const command = benchCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined });
    const parsed = command.parseAsync([bad, '--no-progress'], { from: 'user' });
    await expect(parsed).rejects.toThrow(
      /budget:[\s\S]*stages\[0\]\.params\[0\]\.low: must be at most high \(1 > 0\)[\s\S]*stages\[0\]\.cost/,
    );
    // Bad input, as a bad study config is: exit code 2.
    await expect(parsed).rejects.toMatchObject({ exitCode: 2 });
  });
});
