/** `memotune dev` refuses ports it cannot use before starting anything. */
import { describe, expect, it } from 'vitest';
import { devCommand } from '../../../src/cli/commands/dev.js';
import { runCommand } from './run-command.js';

/** Runs `memotune dev <args>`. */
const run = (args: string[]) => runCommand(devCommand(), args);

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
