import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStackRunning, startStack, stopStack, withRunningPorts, type StackInfo } from '../../../src/dev/stack.js';

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

  it('are where a stopped stack restarts, unless others are named (with the Web UI unless asked not to)', () => {
    writeStack(stateDir, null, null);
    expect(withRunningPorts({ stateDir })).toEqual({ stateDir, temporalPort: 27233, s3Port: 27070 });
    expect(withRunningPorts({ stateDir, temporalPort: 7233 })).toEqual({ stateDir, temporalPort: 7233, s3Port: 27070 });
    expect(withRunningPorts({ stateDir, headless: true })).toMatchObject({ headless: true });
  });

  it('stay in stack.json after a stop: only the pids go', async () => {
    writeStack(stateDir, null, 'http://127.0.0.1:28233');
    const { stopped } = await stopStack({ stateDir, log: () => {} });
    expect(stopped).toEqual([]);
    const saved = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8')) as StackInfo;
    expect(saved).toMatchObject({ temporalAddress: '127.0.0.1:27233', uiUrl: 'http://127.0.0.1:28233' });
    expect(saved.pids).toEqual({ temporal: null, s3: null });
    expect(isStackRunning(saved)).toBe(false);
  });
});

describe('ports taken by something else', () => {
  let stateDir: string;
  const servers: Server[] = [];
  /** A TCP server that is not Temporal, on a free port; its port. */
  const occupy = async (port = 0): Promise<number> => {
    const server = createServer((socket) => socket.destroy());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  };
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'memotune-stack-taken-'));
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('refuse a Temporal port another program listens on, before starting anything', async () => {
    const port = await occupy();
    await expect(
      startStack({ stateDir, temporalPort: port, s3Port: 1, headless: true, log: () => {} }),
    ).rejects.toThrow(`127.0.0.1:${port} is in use by something that is not a Temporal server answering`);
  }, 30_000);

  it('refuse an S3 port another program listens on, before starting Temporal', async () => {
    const port = await occupy();
    await expect(
      startStack({ stateDir, temporalPort: 1, s3Port: port, headless: true, log: () => {} }),
    ).rejects.toThrow(`127.0.0.1:${port} is in use by something that does not answer as an S3 server`);
  }, 30_000);

  it("refuse a Temporal port whose dev server's HTTP port is taken", async () => {
    const http = await occupy();
    await expect(
      startStack({ stateDir, temporalPort: http - 10, s3Port: 1, headless: true, log: () => {} }),
    ).rejects.toThrow(`needs port ${http} for its HTTP API, which is in use`);
  });
});
