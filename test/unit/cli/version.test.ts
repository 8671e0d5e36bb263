/** `memotune --version` prints the version of the package the CLI runs from, wherever it is run. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/package-root.js';

describe('memotune --version', () => {
  it("prints the package's version and exits 0, from a project other than memotune's", () => {
    const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
    const result = spawnSync(
      process.execPath,
      [join(packageRoot, 'bin', 'run-ts.js'), join(packageRoot, 'src', 'cli', 'main.ts'), '--version'],
      { cwd: mkdtempSync(join(tmpdir(), 'memotune-user-project-')), encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(version);
    expect(result.status).toBe(0);
  });
});
