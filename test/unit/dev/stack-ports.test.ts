import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStack, withRunningPorts } from '../../../src/dev/stack.js';

/** A stack.json as `memotune dev --temporal-port 27233 --s3-port 27070` writes it. */
function writeStack(stateDir: string, pid: number | null, uiUrl: string | null): void {
  writeFileSync(
    join(stateDir, 'stack.json'),
    JSON.stringify({
      temporalAddress: '127.0.0.1:27233',
      namespace: 'default',
      uiUrl,
      s3: { endpoint: 'http://127.0.0.1:27070', bucket: 'memotune', accessKeyId: 'k', secretAccessKey: 's' },
      stateDir,
      pids: { temporal: pid, s3: pid },
    }),
  );
}

describe("a running stack's ports", () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'memotune-stack-ports-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('are reused when no ports are named (a later `memotune dev` or `memotune demo`)', () => {
    // This test process stands in for a live server: its pid is alive.
    writeStack(stateDir, process.pid, 'http://127.0.0.1:28233');
    expect(withRunningPorts({ stateDir })).toEqual({
      stateDir,
      temporalPort: 27233,
      s3Port: 27070,
      uiPort: 28233,
      headless: false,
    });
  });

  it('keep a headless stack headless', () => {
    writeStack(stateDir, process.pid, null);
    expect(withRunningPorts({ stateDir })).toMatchObject({ temporalPort: 27233, s3Port: 27070, headless: true });
  });

  it('refuse other ports while it runs, before anything starts', async () => {
    writeStack(stateDir, process.pid, null);
    await expect(startStack({ stateDir, temporalPort: 7233, log: () => {} })).rejects.toThrow(
      /already runs \(Temporal 127\.0\.0\.1:27233, S3 http:\/\/127\.0\.0\.1:27070\): stop it first/,
    );
    // The same ports are fine.
    expect(withRunningPorts({ stateDir, temporalPort: 27233, s3Port: 27070 })).toMatchObject({ temporalPort: 27233 });
  });

  it('do not bind once the stack has stopped', () => {
    writeStack(stateDir, null, null);
    expect(withRunningPorts({ stateDir, temporalPort: 7233 })).toEqual({ stateDir, temporalPort: 7233 });
  });
});
