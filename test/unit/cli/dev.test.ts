/** `memotune dev` refuses ports it cannot use before starting anything. */
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { devCommand } from '../../../src/cli/commands/dev.js';

/** Runs `memotune dev <args>`; what it printed on stderr and the exit code it asked for. */
async function run(args: string[]): Promise<{ stderr: string; exitCode: number | null }> {
  let stderr = '';
  const dev = devCommand()
    .exitOverride()
    .configureOutput({ writeErr: (text) => (stderr += text), writeOut: () => {} });
  try {
    await dev.parseAsync(args, { from: 'user' });
    return { stderr, exitCode: null };
  } catch (error) {
    if (error instanceof CommanderError) return { stderr, exitCode: error.exitCode };
    throw error;
  }
}

describe('memotune dev ports', () => {
  it.each([
    ['--s3-port', '0'],
    ['--s3-port', '70000'],
    ['--temporal-port', '72.5'],
    ['--temporal-port', 'x'],
  ])('refuses %s %s, naming the option', async (flag, value) => {
    const { stderr, exitCode } = await run([flag, value]);
    expect(exitCode).not.toBe(0);
    expect(exitCode).not.toBeNull();
    expect(stderr).toContain(`${flag} <port>`);
    expect(stderr).toContain('must be a port number in 1..65535');
  });

  it('refuses a Temporal port whose Web UI port (+1000) does not exist, unless headless', async () => {
    const { stderr, exitCode } = await run(['--temporal-port', '65000']);
    expect(exitCode).toBe(2);
    expect(stderr).toContain('--temporal-port: the Web UI would need port 66000');
  });
});
