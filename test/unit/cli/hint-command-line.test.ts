/**
 * The commands memotune suggests to run next work where the CLI runs: the `npm run memotune --`
 * script only in memotune's own checkout, `npx memotune` in a project that installed it.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memotuneCommandLine } from '../../../src/cli/commands/demo.js';
import { packageRoot } from '../../../src/package-root.js';

describe('the memotune command line in hints', () => {
  it('is the npm script inside memotune’s own checkout', () => {
    expect(memotuneCommandLine('dev --stop', packageRoot)).toBe('npm run memotune -- dev --stop');
  });

  it('is npx memotune in any other project', () => {
    const project = mkdtempSync(join(tmpdir(), 'memotune-user-project-'));
    expect(memotuneCommandLine('study list', project)).toBe('npx memotune study list');
  });

  it('is spelled out by its helper only, in no other CLI source', () => {
    const cli = join(packageRoot, 'src', 'cli');
    const sources = readdirSync(cli, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
    const spelled = sources.filter((file) => readFileSync(join(cli, file), 'utf8').includes('npm run memotune'));
    expect(spelled).toEqual([join('commands', 'demo.ts')]);
  });
});
