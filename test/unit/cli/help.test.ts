/**
 * Every command a user can run documents itself: `--help` shows at least one example, and every
 * command that prints data can print it as JSON (`--json`, or `--format json` for the trial table).
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { benchCommand } from '../../../src/cli/commands/bench.js';
import { cacheCommand } from '../../../src/cli/commands/cache.js';
import { clusterCommand } from '../../../src/cli/commands/cluster.js';
import { demoCommand } from '../../../src/cli/commands/demo.js';
import { devCommand } from '../../../src/cli/commands/dev.js';
import { initCommand } from '../../../src/cli/commands/init.js';
import { studyCommand } from '../../../src/cli/commands/study.js';
import { workerCommand } from '../../../src/cli/commands/worker.js';

function leaves(command: Command, path: string[] = []): { path: string; command: Command }[] {
  const here = [...path, command.name()];
  return command.commands.length === 0
    ? [{ path: here.join(' '), command }]
    : command.commands.flatMap((sub) => leaves(sub, here));
}

const commands = [
  initCommand,
  devCommand,
  workerCommand,
  studyCommand,
  cacheCommand,
  clusterCommand,
  demoCommand,
  benchCommand,
]
  .map((make) => make())
  .flatMap((command) => leaves(command));

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk), writeErr: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

/** Commands that print nothing a script would parse: a long-running process, a scaffold, a demo. */
const withoutData = new Set(['worker', 'init', 'demo']);

describe('memotune --help', () => {
  it('covers every command', () => {
    expect(commands.map((c) => c.path)).toEqual(
      expect.arrayContaining(['study start', 'study watch', 'cache prune', 'cluster check', 'worker', 'dev', 'bench']),
    );
  });

  for (const { path, command } of commands) {
    it(`${path}: an example, and JSON output where it prints data`, () => {
      const help = helpOf(command);
      expect(help).toMatch(/\nExamples?:\n {2}(npx )?(memotune|temporal) /);
      if (!withoutData.has(path)) expect(help).toMatch(/--json|--format <format>/);
    });
  }
});
