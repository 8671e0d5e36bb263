/** The CLI's log settings: MEMOTUNE_LOG_LEVEL, `--log-format`/MEMOTUNE_LOG_FORMAT and the JSON lines. */
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonLogLine } from '../../../src/cli/json-log.js';
import { pythonWorkerLine } from '../../../src/cli/commands/demo.js';
import { coreLogFilter, parseLogFormat, parseLogLevel, installRuntime } from '../../../src/cli/runtime.js';
import { runCommand } from './run-command.js';

const at = 1_765_152_000_123_000_000n; // 2025-12-08T00:00:00.123Z in nanoseconds

describe('jsonLogLine', () => {
  it('writes time, level and message, then the metadata as top-level fields', () => {
    const line = jsonLogLine({
      level: 'INFO',
      message: 'trial finished',
      timestampNanos: at,
      meta: { workflowId: 'study-1', trial: 3, objective: -1.5 },
    });
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      time: '2025-12-08T00:00:00.123Z',
      level: 'INFO',
      message: 'trial finished',
      workflowId: 'study-1',
      trial: 3,
      objective: -1.5,
    });
  });

  it('keeps what JSON cannot hold readable: bigints, non-finite numbers, errors, bytes, cycles, dates', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const error = Object.assign(new Error('S3 said no', { cause: new TypeError('socket') }), { code: 'EACCES' });
    const parsed = JSON.parse(
      jsonLogLine({
        level: 'WARN',
        message: 'm',
        timestampNanos: at,
        meta: {
          count: 12n,
          objective: Number.NaN,
          worst: Number.NEGATIVE_INFINITY,
          error,
          token: new Uint8Array(40),
          cyclic,
          when: new Date(0),
          skipped: undefined,
          fn: () => 1,
          list: [1, undefined, 'x'],
          tags: new Set(['a']),
          byStage: new Map([['s0', 1]]),
        },
      }),
    ) as Record<string, unknown>;
    expect(parsed.count).toBe('12');
    expect(parsed.objective).toBe('NaN');
    expect(parsed.worst).toBe('-Infinity');
    expect(parsed.error).toMatchObject({
      name: 'Error',
      message: 'S3 said no',
      code: 'EACCES',
      cause: { name: 'TypeError', message: 'socket' },
    });
    expect((parsed.error as { stack: string }).stack).toContain('S3 said no');
    expect(parsed.token).toBe('<40 bytes>');
    expect(parsed.cyclic).toEqual({ name: 'loop', self: '[Circular]' });
    expect(parsed.when).toBe('1970-01-01T00:00:00.000Z');
    expect('skipped' in parsed || 'fn' in parsed).toBe(false);
    expect(parsed.list).toEqual([1, null, 'x']);
    expect(parsed.tags).toEqual({ values: ['a'] });
    expect(parsed.byStage).toEqual({ s0: 1 });
  });

  it('never lets metadata overwrite time, level or message', () => {
    const parsed = JSON.parse(
      jsonLogLine({ level: 'ERROR', message: 'real', timestampNanos: at, meta: { message: 'fake', level: 'INFO' } }),
    ) as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: 'ERROR', message: 'real', 'meta.message': 'fake', 'meta.level': 'INFO' });
  });

  it('never throws and never writes more than a line, whatever the metadata holds', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const throwing = {
      get body(): string {
        throw new Error('stream consumed');
      },
      ok: 1,
    };
    const line = jsonLogLine({
      level: 'WARN',
      message: 'odd\nmetadata',
      timestampNanos: at,
      meta: {
        draft: proxy,
        response: throwing,
        url: new URL('https://h/p?q=1'),
        withToJson: { toJSON: () => 'shown', secret: 'hidden' },
        long: { low: 5, high: 0, unsigned: false, __isLong__: true, toString: () => '5' },
        boxed: Object(7) as number,
        pattern: /a+/g,
        many: Array.from({ length: 150 }, (_, i) => i),
        text: 'x'.repeat(20_000),
        failure: new AggregateError([new Error('first')], 'both failed'),
        '1': 'integer-like key',
      },
    });
    expect(line.split('\n')).toHaveLength(1);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(line).toMatch(/^\{"time":"[^"]+","level":"WARN","message":"odd\\nmetadata",/); // as written: a parsed object puts "1" first
    expect(parsed.draft).toMatch(/^\[Unserializable: /);
    expect(parsed.response).toEqual({ body: '[Unserializable: stream consumed]', ok: 1 });
    expect(parsed.url).toBe('https://h/p?q=1');
    expect(parsed.withToJson).toBe('shown');
    expect(parsed.long).toBe('5');
    expect(parsed.boxed).toBe(7);
    expect(parsed.pattern).toBe('/a+/g');
    expect((parsed.many as unknown[]).slice(-2)).toEqual([99, '… 50 more']);
    expect(parsed.text).toMatch(/… \(10000 more characters\)$/);
    expect(parsed.failure).toMatchObject({ message: 'both failed', errors: [{ message: 'first' }] });
    expect(parsed['1']).toBe('integer-like key');
  });

  it('cuts a deep object short instead of writing it all', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    const line = jsonLogLine({ level: 'INFO', message: 'm', timestampNanos: at, meta: { deep } });
    expect(line).toContain('"[Object]"');
    expect(line).not.toContain('leaf');
  });
});

describe('log settings', () => {
  it('accepts the formats and levels in any case', () => {
    expect(parseLogFormat('JSON')).toBe('json');
    expect(parseLogFormat(' text ')).toBe('text');
    expect(parseLogLevel('info')).toBe('INFO');
    expect(parseLogLevel('Debug')).toBe('DEBUG');
  });

  it("sets SDK Core's level to MEMOTUNE_LOG_LEVEL, its libraries' only at DEBUG and TRACE", () => {
    expect(coreLogFilter('WARN')).toEqual({ core: 'WARN', other: 'ERROR' });
    expect(coreLogFilter('INFO')).toEqual({ core: 'INFO', other: 'ERROR' });
    expect(coreLogFilter('ERROR')).toEqual({ core: 'ERROR', other: 'ERROR' });
    expect(coreLogFilter('DEBUG')).toEqual({ core: 'DEBUG', other: 'DEBUG' });
    expect(coreLogFilter('TRACE')).toEqual({ core: 'TRACE', other: 'TRACE' });
  });

  it.each(['verbose', 'warning', '3'])('refuses the level %j, listing the known ones', (value) => {
    expect(() => parseLogLevel(value)).toThrow(`must be one of TRACE, DEBUG, INFO, WARN, ERROR, got '${value}'`);
  });

  afterEach(() => vi.unstubAllEnvs());

  it.each([
    ['MEMOTUNE_LOG_LEVEL', 'verbose', 'must be one of TRACE'],
    ['MEMOTUNE_LOG_FORMAT', 'xml', 'must be text or json'],
  ])('a bad %s ends the command with exit 2, naming the variable', async (name, value, message) => {
    vi.stubEnv(name, value);
    const command = new Command('study').hook('preAction', (_c, action) => installRuntime(action));
    command.command('list').action(() => {});
    const { stderr, exitCode } = await runCommand(command, ['list']);
    expect(exitCode).toBe(2);
    expect(stderr).toContain(`${name} ${message}`);
    expect(stderr).toContain(`got '${value}'`);
  });
});

describe("the demo's Python worker lines", () => {
  it('keeps a JSON line one JSON object, naming its source; prefixes a text line', () => {
    const json = pythonWorkerLine('{"time":"t","level":"ERROR","message":"stage failed"}');
    expect(JSON.parse(json)).toEqual({ time: 't', level: 'ERROR', message: 'stage failed', source: 'python worker' });
    expect(pythonWorkerLine('2026-12-08 ERROR memotune: stage failed')).toBe(
      '[python worker] 2026-12-08 ERROR memotune: stage failed',
    );
    expect(pythonWorkerLine('{not json ERROR')).toBe('[python worker] {not json ERROR');
  });
});
