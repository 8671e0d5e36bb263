/**
 * The local stack: a Temporal dev server (SQLite persistence, Web UI) and an S3-compatible server
 * (versitygw on a POSIX folder), both on 127.0.0.1, both built once from the Go module proxy by
 * `scripts/ensure-tools.sh` and cached. Starting is idempotent: servers already listening on their
 * ports are reused. Processes are detached so they outlive the command that started them.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { registerSearchAttributes } from '../client/search-attributes.js';
import { packageRoot } from '../package-root.js';
import { S3ObjectStore } from '../storage/s3-object-store.js';
import { defaultStateDir, readStackInfo, type StackInfo } from './stack-info.js';

export { defaultStateDir, readStackInfo, type StackInfo } from './stack-info.js';

export interface StackOptions {
  /** Where SQLite state, S3 data, logs and stack.json live. @default $MEMOTUNE_STATE_DIR or './.memotune' */
  readonly stateDir?: string;
  /** Temporal gRPC port. @default 7233 */
  readonly temporalPort?: number;
  /** Temporal Web UI port. @default temporalPort + 1000 */
  readonly uiPort?: number;
  /** S3 port. @default 7070 */
  readonly s3Port?: number;
  /** No Web UI (tests). @default false */
  readonly headless?: boolean;
  /** @default 'memotune' */
  readonly bucket?: string;
  /** How long to wait for each server to come up, in ms. @default 120000 */
  readonly startTimeoutMs?: number;
  /** Progress lines go here. @default stderr */
  readonly log?: (line: string) => void;
}

// Local-only credentials: the S3 server listens on loopback and holds nothing but cached outputs.
const accessKeyId = 'memotune';
const secretAccessKey = 'memotune-local-secret';

interface Resolved {
  stateDir: string;
  temporalPort: number;
  uiPort: number;
  s3Port: number;
  headless: boolean;
  bucket: string;
  startTimeoutMs: number;
  log: (line: string) => void;
}

function resolveOptions(options: StackOptions): Resolved {
  const temporalPort = options.temporalPort ?? 7233;
  return {
    stateDir: resolve(options.stateDir ?? defaultStateDir()),
    temporalPort,
    uiPort: options.uiPort ?? temporalPort + 1000,
    s3Port: options.s3Port ?? 7070,
    headless: options.headless ?? false,
    bucket: options.bucket ?? 'memotune',
    startTimeoutMs: options.startTimeoutMs ?? 120_000,
    log: options.log ?? ((line) => process.stderr.write(`[memotune dev] ${line}\n`)),
  };
}

function infoOf(o: Resolved, pids: StackInfo['pids'], temporalCli?: string): StackInfo {
  return {
    ...(temporalCli === undefined ? {} : { temporalCli }),
    temporalAddress: `127.0.0.1:${o.temporalPort}`,
    namespace: 'default',
    uiUrl: o.headless ? null : `http://127.0.0.1:${o.uiPort}`,
    s3: { endpoint: `http://127.0.0.1:${o.s3Port}`, bucket: o.bucket, accessKeyId, secretAccessKey },
    stateDir: o.stateDir,
    pids,
  };
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolvePromise(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `check` passes. `server`, when this call started it: its process ending first fails
 * the wait at once with the end of its log, instead of after the timeout (a review waited 2
 * minutes on a dev server that had failed to open its database at once).
 */
async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  server?: { readonly pid: number; readonly logFile: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (server !== undefined && !alive(server.pid))
      throw new Error(`${what} exited as it started; the end of its log:\n${logTail(server.logFile)}`);
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(250);
  }
}

/** The last lines of a server's log, for an error message. */
function logTail(logFile: string, lines = 8): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Stops a server this call started (SIGTERM, then SIGKILL after 10 s). */
async function stopProcess(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/** Paths of the two server binaries: env overrides, else the cached build (built on first use). */
export async function serverBinaries(log: (line: string) => void): Promise<{ temporal: string; versitygw: string }> {
  const fromEnv = { temporal: process.env.MEMOTUNE_TEMPORAL_BIN, versitygw: process.env.MEMOTUNE_VERSITYGW_BIN };
  if (fromEnv.temporal && fromEnv.versitygw) return { temporal: fromEnv.temporal, versitygw: fromEnv.versitygw };
  log('checking the server binaries (built once with Go, then cached)...');
  // stderr is passed through: a cold build takes minutes and prints its progress.
  const stdout = await new Promise<string>((resolvePromise, reject) => {
    const child = spawn('bash', [join(packageRoot, 'scripts', 'ensure-tools.sh')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolvePromise(out)
        : reject(new Error(`could not build the local servers (scripts/ensure-tools.sh exited ${code})`)),
    );
  });
  const binDir = stdout.trim().split('\n').pop() ?? '';
  return {
    temporal: fromEnv.temporal ?? join(binDir, 'temporal'),
    versitygw: fromEnv.versitygw ?? join(binDir, 'versitygw'),
  };
}

function spawnDetached(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): number {
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return child.pid;
}

function stackFile(o: Resolved): string {
  return join(o.stateDir, 'stack.json');
}

/** Writes stack.json for its owner only (0600, an older file's mode too): it holds the local S3 server's secret key. */
function writeStackFile(o: Resolved, content: unknown): void {
  const file = stackFile(o);
  writeFileSync(file, JSON.stringify(content, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
}

function readPids(o: Resolved): StackInfo['pids'] {
  return readStackInfo({ stateDir: o.stateDir })?.pids ?? { temporal: null, s3: null };
}

/** Ports the stack cannot use (taken, or not the running stack's): bad input, `memotune dev` exits 2. */
export class StackPortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackPortError';
  }
}

/** Whether what listens on 127.0.0.1:`port` answers HTTP as an S3 server does (an S3 error document or `x-amz-request-id`). */
async function looksLikeS3(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    const body = await response.text();
    return response.headers.has('x-amz-request-id') || /<(Error|ListAllMyBucketsResult)[\s>]/.test(body);
  } catch {
    return false;
  }
}

/** Whether `check` turns true within `ms` (a server that is still starting gets that long). */
async function answersWithin(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  for (const deadline = Date.now() + ms; ; await sleep(500)) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
  }
}

/** Whether a Temporal server at `address` answers for the default namespace (not merely listens). */
export async function temporalReady(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/**
 * SQLite settings of the local Temporal server's database file. Write-ahead logging instead of
 * the default rollback journal (a journal file created and deleted per transaction) halves the
 * server's CPU per trial (parallel no-op trials on 2 loaded cores: 13.7 → 6.5 CPU seconds for 60
 * trials; orchestration overhead per trial ~1,000 → ~420 ms). `synchronous=NORMAL` is SQLite's
 * recommended pairing with WAL: a killed server loses nothing committed; only an OS crash or power
 * loss can drop the last transactions, which a local development stack accepts.
 */
export const DEV_SERVER_SQLITE_PRAGMAS: Readonly<Record<string, string>> = {
  journal_mode: 'wal',
  synchronous: 'normal',
};

/**
 * Dynamic configuration the local Temporal server starts with. The dev server has one history
 * shard, and each shard reads its task queues (transfer: workflow and activity tasks; timer;
 * visibility) at most 20 times a second by default. Under a steady stream of short tasks that cap
 * is the whole stack's dispatch latency: ~40 ms from "scheduled" to "started" for every workflow
 * and activity task, against ~1.5 ms without it (3 no-op activities in a row: 334 ms → 47 ms).
 * A cluster spreads the same limit over many shards, which is why it is only lifted here.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, number>> = {
  'history.transferProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxPollRPS': 1000,
  'history.visibilityProcessorMaxPollRPS': 1000,
};

/**
 * versitygw flags of the local S3 server. Without `--keep-alive` it answers every request with
 * `Connection: close`, so each of the ~12 object-store calls of a trial opened a new TCP connection
 * (thousands in TIME-WAIT during a benchmark; ~0.2 ms of connect and socket setup per call in the
 * worker, more in the server).
 */
export const S3_SERVER_TUNING_ARGS: readonly string[] = ['--keep-alive'];

/** `temporal server start-dev` flags for {@link DEV_SERVER_SQLITE_PRAGMAS} and {@link DEV_SERVER_DYNAMIC_CONFIG}. */
export function devServerTuningArgs(): string[] {
  return [
    ...Object.entries(DEV_SERVER_SQLITE_PRAGMAS).flatMap(([pragma, value]) => [
      '--sqlite-pragma',
      `${pragma}=${value}`,
    ]),
    ...Object.entries(DEV_SERVER_DYNAMIC_CONFIG).flatMap(([key, value]) => [
      '--dynamic-config-value',
      `${key}=${value}`,
    ]),
  ];
}

/**
 * Whether the dev server with this pid runs without {@link devServerTuningArgs} (one started by an
 * earlier release). False when that cannot be told (no such process, no /proc).
 */
function startedWithoutTuning(pid: number | null): boolean {
  if (pid === null) return false;
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return false;
  }
  return args.includes('start-dev') && !devServerTuningArgs().every((arg) => args.includes(arg));
}

/**
 * Starts whatever part of the stack is not running (idempotent) and creates the bucket.
 * @returns where everything is; also written to `<stateDir>/stack.json`.
 */
export async function startStack(options: StackOptions = {}): Promise<StackInfo> {
  const o = resolveOptions(withRunningPorts(options));
  mkdirSync(join(o.stateDir, 's3'), { recursive: true });
  const pids = { ...readPids(o) };
  const temporalUp = await isPortOpen(o.temporalPort);
  const s3Up = await isPortOpen(o.s3Port);
  // Before anything starts: a port taken by something else would make a server fail to come up
  // (after the 2-minute wait) and leave the other one orphaned.
  if (temporalUp && !(await answersWithin(3_000, () => temporalReady(`127.0.0.1:${o.temporalPort}`)))) {
    throw new StackPortError(
      `127.0.0.1:${o.temporalPort} is in use by something that is not a Temporal server answering: ` +
        'pick another --temporal-port (the dev server also takes that port + 10 and + 11, and the Web UI + 1000)',
    );
  }
  // An S3 server not started by this stack is reused only if it answers as S3 (any S3 error
  // document will do): another program there would fail the bucket check after Temporal started.
  if (s3Up && !(await answersWithin(3_000, () => looksLikeS3(o.s3Port)))) {
    throw new StackPortError(
      `127.0.0.1:${o.s3Port} is in use by something that does not answer as an S3 server: pick another --s3-port`,
    );
  }
  if (!temporalUp) {
    const needed = [
      ['its HTTP API', o.temporalPort + 10],
      ['its metrics', o.temporalPort + 11],
      ...(o.headless ? [] : [['its Web UI', o.uiPort] as const]),
    ] as const;
    for (const [what, port] of needed) {
      if (await isPortOpen(port)) {
        throw new StackPortError(
          `the Temporal dev server on ${o.temporalPort} needs port ${port} for ${what}, which is in use: ` +
            'pick another --temporal-port (or --headless to need no Web UI port)',
        );
      }
    }
  }
  // The CLI binary is known once the binaries are resolved; a reused stack keeps what it recorded.
  let temporalCli = readStackInfo({ stateDir: o.stateDir })?.temporalCli;
  // What this call starts: stopped again if the stack does not come up, so nothing is orphaned.
  const started: { temporal?: number; s3?: number } = {};
  if (s3Up && !alive(pids.s3))
    o.log(
      `reusing the S3 server already on 127.0.0.1:${o.s3Port}, which this stack did not start: ` +
        '`memotune dev --stop` will not stop it',
    );
  if (!temporalUp || !s3Up) {
    const bins = await serverBinaries(o.log);
    temporalCli = bins.temporal;
    if (!temporalUp) {
      o.log(
        `starting Temporal dev server on 127.0.0.1:${o.temporalPort}${o.headless ? '' : ` (UI http://127.0.0.1:${o.uiPort})`}`,
      );
      const args = [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(o.temporalPort),
        '--http-port',
        String(o.temporalPort + 10),
        '--metrics-port',
        String(o.temporalPort + 11),
        '--db-filename',
        join(o.stateDir, 'temporal.db'),
        '--namespace',
        'default',
        '--log-level',
        'warn',
        ...devServerTuningArgs(),
      ];
      if (o.headless) args.push('--headless');
      else args.push('--ui-ip', '127.0.0.1', '--ui-port', String(o.uiPort));
      pids.temporal = spawnDetached(bins.temporal, args, join(o.stateDir, 'temporal.log'));
      started.temporal = pids.temporal;
    }
    if (!s3Up) {
      o.log(`starting S3 server (versitygw) on 127.0.0.1:${o.s3Port}, data in ${join(o.stateDir, 's3')}`);
      pids.s3 = spawnDetached(
        bins.versitygw,
        ['--port', `127.0.0.1:${o.s3Port}`, ...S3_SERVER_TUNING_ARGS, '--quiet', 'posix', join(o.stateDir, 's3')],
        join(o.stateDir, 's3.log'),
        { ...process.env, ROOT_ACCESS_KEY: accessKeyId, ROOT_SECRET_KEY: secretAccessKey },
      );
      started.s3 = pids.s3;
    }
  } else {
    o.log(
      o.headless
        ? 'reusing the running stack (headless: no Web UI; `memotune dev --stop`, then `memotune dev`, restarts it with one)'
        : 'reusing the running stack',
    );
  }
  if (temporalUp && startedWithoutTuning(pids.temporal)) {
    o.log(
      'the running Temporal dev server was started without the settings memotune dev now uses (up to ~40 ms ' +
        'per task dispatch, twice the CPU): `memotune dev --stop` then `memotune dev` restarts it with them, keeping its state',
    );
  }
  const info = infoOf(o, pids, temporalCli);
  const temporalLog = join(o.stateDir, 'temporal.log');
  const s3Log = join(o.stateDir, 's3.log');
  try {
    await waitFor(
      `Temporal on ${info.temporalAddress} (log: ${temporalLog})`,
      o.startTimeoutMs,
      () => temporalReady(info.temporalAddress),
      started.temporal === undefined ? undefined : { pid: started.temporal, logFile: temporalLog },
    );
    await waitFor(
      `S3 on ${info.s3.endpoint} (log: ${s3Log})`,
      o.startTimeoutMs,
      () => isPortOpen(o.s3Port),
      started.s3 === undefined ? undefined : { pid: started.s3, logFile: s3Log },
    );
    const store = S3ObjectStore.fromSettings({ ...info.s3 });
    await store.ensureBucket();
    // Studies and trials searchable in the UI from the first study on (idempotent).
    const connection = await Connection.connect({ address: info.temporalAddress });
    try {
      const added = await registerSearchAttributes(connection, 'default');
      if (added.length > 0) o.log(`registered search attributes ${added.join(', ')}`);
    } finally {
      await connection.close();
    }
  } catch (error) {
    // A stack that did not come up leaves nothing running that `memotune dev --stop` could not find.
    for (const pid of [started.temporal, started.s3]) if (pid !== undefined) await stopProcess(pid);
    throw error;
  }
  writeStackFile(o, info);
  return info;
}

/** The port of `http://127.0.0.1:7070` or `127.0.0.1:7233`, or undefined. */
function portOf(address: string | null | undefined): number | undefined {
  const match = /:(\d+)\/?$/.exec(address ?? '');
  return match === null ? undefined : Number(match[1]);
}

/**
 * The options with the ports (and Web UI choice) of this state folder's stack for what they do not
 * name: a stack started with `--temporal-port 27233` is reused by a later `memotune dev` or
 * `memotune demo` that names no ports, instead of a second pair of servers on the default ports
 * writing into the same SQLite file and S3 folder, and a stopped one restarts where it was.
 * @throws StackPortError when the options name other ports than those of the stack while it runs.
 */
export function withRunningPorts(options: StackOptions): StackOptions {
  const stateDir = resolve(options.stateDir ?? defaultStateDir());
  const saved = readStackInfo({ stateDir });
  if (saved === null) return options;
  const previous = {
    temporalPort: portOf(saved.temporalAddress),
    s3Port: portOf(saved.s3?.endpoint),
    // The UI port goes with the Temporal port it was derived from.
    uiPort: options.temporalPort === undefined ? portOf(saved.uiUrl) : undefined,
  };
  const running = isStackRunning(saved);
  if (running) {
    for (const key of ['temporalPort', 's3Port', 'uiPort'] as const) {
      const asked = options[key];
      if (asked !== undefined && previous[key] !== undefined && asked !== previous[key]) {
        throw new StackPortError(
          `the local stack of ${stateDir} already runs (Temporal ${saved.temporalAddress}, S3 ${saved.s3.endpoint}): ` +
            `stop it first (memotune dev --stop) to move it to other ports, or use another MEMOTUNE_STATE_DIR for a second stack`,
        );
      }
    }
  }
  return {
    ...options,
    ...(options.temporalPort === undefined && previous.temporalPort !== undefined
      ? { temporalPort: previous.temporalPort }
      : {}),
    ...(options.s3Port === undefined && previous.s3Port !== undefined ? { s3Port: previous.s3Port } : {}),
    ...(options.uiPort === undefined && previous.uiPort !== undefined ? { uiPort: previous.uiPort } : {}),
    // A running stack is reused as it is; a stopped one restarts with the Web UI unless asked not to.
    ...(options.headless !== undefined
      ? { headless: options.headless }
      : running
        ? { headless: saved.uiUrl === null }
        : {}),
  };
}

/** Whether a server the stack.json names still runs (`memotune dev --status` prints null if not). */
export function isStackRunning(info: StackInfo): boolean {
  return alive(info.pids?.temporal ?? null) || alive(info.pids?.s3 ?? null);
}

function alive(pid: number | null): pid is number {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the servers this stack started (by the pids in stack.json); says which it stopped. */
export async function stopStack(options: StackOptions = {}): Promise<{ stopped: string[]; stateDir: string }> {
  const o = resolveOptions(options);
  const pids = readPids(o);
  const stopped: string[] = [];
  for (const [name, pid] of Object.entries(pids)) {
    if (!alive(pid)) continue;
    stopped.push(name);
    o.log(`stopping ${name} (pid ${pid})`);
    await stopProcess(pid);
  }
  // The addresses stay as they were (a restart takes them up again); only the pids go.
  const saved = readStackInfo({ stateDir: o.stateDir });
  if (saved !== null) writeStackFile(o, { ...saved, pids: { temporal: null, s3: null } });
  return { stopped, stateDir: o.stateDir };
}

/** The stack's addresses as last written by `startStack`, or `null` if it never ran here. */
