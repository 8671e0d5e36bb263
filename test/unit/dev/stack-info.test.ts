import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultStateDir, readStackInfo } from '../../../src/dev/stack-info.js';

describe('finding the local stack', () => {
  let project: string;
  beforeEach(() => {
    project = mkdtempSync(join(tmpdir(), 'memotune-stack-info-'));
    vi.stubEnv('MEMOTUNE_STATE_DIR', '');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(project, { recursive: true, force: true });
  });

  it("finds the stack started at a project's root from a folder below it", () => {
    mkdirSync(join(project, '.memotune'));
    writeFileSync(join(project, '.memotune', 'stack.json'), JSON.stringify({ temporalAddress: '127.0.0.1:17233' }));
    const deep = join(project, 'src', 'stages');
    mkdirSync(deep, { recursive: true });
    expect(defaultStateDir(deep)).toBe(join(project, '.memotune'));
    expect(readStackInfo({ stateDir: defaultStateDir(deep) })?.temporalAddress).toBe('127.0.0.1:17233');
  });

  it('takes the nearest stack when a subproject started its own', () => {
    for (const dir of [project, join(project, 'sub')]) {
      mkdirSync(join(dir, '.memotune'), { recursive: true });
      writeFileSync(join(dir, '.memotune', 'stack.json'), '{}');
    }
    expect(defaultStateDir(join(project, 'sub'))).toBe(join(project, 'sub', '.memotune'));
  });

  it('starts a new stack in the working directory when none is above it', () => {
    // A .memotune/ without stack.json (e.g. only a venv) is not a stack.
    mkdirSync(join(project, '.memotune'));
    const here = join(project, 'app');
    mkdirSync(here);
    const found = defaultStateDir(here);
    // A stack somewhere above the temp folder (unlikely) would be found; none is in the project.
    expect(found === join(here, '.memotune') || !found.startsWith(project)).toBe(true);
  });

  it('uses $MEMOTUNE_STATE_DIR when it is set', () => {
    vi.stubEnv('MEMOTUNE_STATE_DIR', '/somewhere/state');
    expect(defaultStateDir(project)).toBe('/somewhere/state');
  });
});
