/** `memotune study start` refuses a config file it cannot use before connecting to anything. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { studyCommand } from '../../../src/cli/commands/study.js';
import { runCommand } from './run-command.js';

/** Runs `memotune study <args>` against an address nothing listens on: it must not get as far as connecting. */
const run = (args: string[]) => runCommand(studyCommand(), [...args, '--address', '127.0.0.1:1']);

describe('study start with a config file it cannot use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memotune-start-'));

  it('exits 2 naming a file that does not exist', async () => {
    const missing = join(dir, 'missing.json');
    const { stderr, exitCode } = await run(['start', missing]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain(`memotune: cannot read ${missing}`);
  });

  it('exits 2 naming a file that is not JSON', async () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "name": "x", ');
    const { stderr, exitCode } = await run(['start', broken]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain(`memotune: ${broken} is not valid JSON`);
  });
});

describe('study trials with formats it cannot print', () => {
  it('exits 2 naming an unknown --format', async () => {
    const { stderr, exitCode } = await run(['trials', 'my-study', '--format', 'xml']);
    expect(exitCode).toBe(2);
    expect(stderr).toContain("--format must be one of table, csv, json, got 'xml'");
  });

  it('exits 2 for --json beside another --format (--json alone is --format json)', async () => {
    const { stderr, exitCode } = await run(['trials', 'my-study', '--json', '--format', 'csv']);
    expect(exitCode).toBe(2);
    expect(stderr).toContain('--json and --format csv ask for two formats');
  });
});

describe('study list with a limit it cannot use', () => {
  it.each(['abc', '0', '2.5'])('refuses --limit %s, naming the option', async (value) => {
    const { stderr, exitCode } = await run(['list', '--limit', value]);
    expect(exitCode).not.toBeNull();
    expect(stderr).toContain('--limit <n>');
    expect(stderr).toContain(`must be a positive integer, got '${value}'`);
  });
});

describe('study start with a config module', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memotune-start-module-'));

  it('reads a JS module exporting `study` (it gets as far as validating it)', async () => {
    const module = join(dir, 'study.mjs');
    writeFileSync(
      module,
      'export const study = { name: "m", pipeline: { stages: [] }, objective: { metric: "x" }, budget: 1 };',
    );
    // The config check refuses its empty pipeline (the CLI prints that and exits 2): the module was read.
    await expect(run(['start', module])).rejects.toThrow('pipeline.stages: must have at least one stage');
  });

  it('exits 2 for a module exporting no config, and for a .ts file, saying what to do', async () => {
    const empty = join(dir, 'empty.mjs');
    writeFileSync(empty, 'export const other = 1;');
    const none = await run(['start', empty]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('exports neither `study` nor a default study config');
    const ts = join(dir, 'study.ts');
    writeFileSync(ts, 'export const study = {};');
    const typescript = await run(['start', ts]);
    expect(typescript.exitCode).toBe(2);
    expect(typescript.stderr).toContain('is TypeScript: compile it (tsc) and pass the .js module');
  });
});
