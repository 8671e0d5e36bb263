/** `memotune worker` refuses flags it cannot use before connecting to anything. */
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { workerCommand } from '../../../src/cli/commands/worker.js';

async function run(args: string[]): Promise<{ stderr: string; exitCode: number | null }> {
  let stderr = '';
  const worker = workerCommand()
    .exitOverride()
    .configureOutput({ writeErr: (text) => (stderr += text), writeOut: () => {} });
  try {
    // An address nothing listens on: a refused flag must stop it before it connects.
    await worker.parseAsync([...args, '--address', '127.0.0.1:1'], { from: 'user' });
    return { stderr, exitCode: null };
  } catch (error) {
    if (error instanceof CommanderError) return { stderr, exitCode: error.exitCode };
    throw error;
  }
}

describe('memotune worker --max-concurrent-stages', () => {
  it.each(['0', '2.5', 'many', '1001'])('refuses %s, naming the option', async (value) => {
    const { stderr, exitCode } = await run(['--max-concurrent-stages', value]);
    expect(exitCode).not.toBeNull();
    expect(stderr).toContain('--max-concurrent-stages <n>');
    expect(stderr).toContain(`must be an integer from 1 to 1000, got '${value}'`);
  });
});
