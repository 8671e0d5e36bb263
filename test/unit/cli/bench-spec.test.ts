/**
 * `memotune bench <spec>` takes a spec file or the name of a spec memotune ships, and refuses a
 * spec it cannot use as bad input (exit 2), naming the argument.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchCommand, resolveSpecPath, shippedSpecs } from '../../../src/cli/commands/bench.js';
import { packageRoot } from '../../../src/package-root.js';
import { runCommand } from './run-command.js';

/** Runs `memotune bench <args>`. */
const run = (args: string[]) => runCommand(benchCommand(), [...args, '--no-progress']);

describe('bench spec names', () => {
  it('lists the shipped specs, held-out ones included', () => {
    expect([...shippedSpecs().keys()]).toEqual(expect.arrayContaining(['paper-3stage', 'paper-5stage', 'even-6stage']));
  });

  it("resolves a bare name against the package's own benchmarks, with or without .json", () => {
    expect(resolveSpecPath('paper-3stage')).toBe(join(packageRoot, 'benchmarks', 'paper-3stage.json'));
    expect(resolveSpecPath('paper-3stage.json')).toBe(join(packageRoot, 'benchmarks', 'paper-3stage.json'));
    expect(resolveSpecPath('even-6stage')).toBe(join(packageRoot, 'benchmarks', 'heldout', 'even-6stage.json'));
  });

  it('keeps a path that exists as it is, and resolves no other path', () => {
    const own = join(mkdtempSync(join(tmpdir(), 'memotune-bench-')), 'paper-3stage.json');
    writeFileSync(own, '{}');
    expect(resolveSpecPath(own)).toBe(own);
    expect(resolveSpecPath(join('elsewhere', 'paper-3stage.json'))).toBeUndefined();
    expect(resolveSpecPath('no-such-spec')).toBeUndefined();
  });

  it('shows only shipped names in the help examples', () => {
    let help = '';
    benchCommand()
      .configureOutput({ writeOut: (text) => (help += text) })
      .outputHelp();
    const examples = [...help.matchAll(/^ {2}memotune bench (\S+)/gm)].map((match) => match[1]);
    expect(examples.length).toBeGreaterThan(0);
    for (const spec of examples) if (!spec!.endsWith('.json')) expect(shippedSpecs().has(spec!), spec).toBe(true);
  });

  it('runs a shipped spec by name from a project that has no benchmarks/', () => {
    const result = spawnSync(
      process.execPath,
      [
        join(packageRoot, 'bin', 'run-ts.js'),
        join(packageRoot, 'src', 'cli', 'main.ts'),
        'bench',
        'paper-3stage',
        '--methods',
        'random',
        '--seeds',
        '1',
        '--jobs',
        '1',
        '--budget',
        '50',
        '--no-progress',
      ],
      { cwd: mkdtempSync(join(tmpdir(), 'memotune-user-project-')), encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('## paper-3stage (budget 50, 1 seeds)');
    expect(result.status).toBe(0);
  });
});

describe('bench with a spec it cannot use', () => {
  it('exits 2 without a spec, naming the argument and the shipped specs', async () => {
    const { stderr, exitCode } = await run([]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain('memotune: missing argument [spec]');
    expect(stderr).toContain('paper-3stage');
  });

  it('exits 2 for a spec that is neither a file nor a shipped name, listing the names', async () => {
    const { stderr, exitCode } = await run(['paper-3stag']);
    expect(exitCode).toBe(2);
    expect(stderr).toContain('memotune: [spec] paper-3stag: no such file, nor a shipped spec (');
    for (const name of shippedSpecs().keys()) expect(stderr).toContain(name);
  });

  it('exits 2 for a spec file that cannot be read or is not a spec', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memotune-bench-'));
    expect(await run([dir])).toEqual({ exitCode: 2, stderr: expect.stringContaining(`[spec] cannot read ${dir}`) });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "name": ');
    expect(await run([broken])).toEqual({
      exitCode: 2,
      stderr: expect.stringContaining(`[spec] ${broken} is not valid JSON`),
    });
  });
});
