import type { Client } from '@temporalio/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BenchInterruptedError,
  terminateStudiesOnInterrupt,
  type StudyInterruptGuard,
} from '../../../src/bench/temporal/interrupt.js';

/** A client whose only use here, getHandle(id).terminate(reason), is recorded. */
function recordingClient(fail = false): { client: Client; terminated: string[] } {
  const terminated: string[] = [];
  const client = {
    workflow: {
      getHandle: (id: string) => ({
        terminate: async (reason: string) => {
          if (fail) throw new Error('connection refused');
          terminated.push(`${id}: ${reason}`);
        },
      }),
    },
  } as unknown as Client;
  return { client, terminated };
}

describe('terminateStudiesOnInterrupt', () => {
  let guard: StudyInterruptGuard | undefined;
  afterEach(() => {
    guard?.dispose();
    guard = undefined;
    vi.restoreAllMocks();
  });

  it('terminates the running study on SIGINT and then reports the interruption', async () => {
    const { client, terminated } = recordingClient();
    const lines: string[] = [];
    guard = terminateStudiesOnInterrupt(client, (line) => lines.push(line));
    await guard.started('study-a');
    expect(guard.signal).toBeNull();
    expect(() => guard?.throwIfInterrupted()).not.toThrow();

    process.emit('SIGINT', 'SIGINT');
    await vi.waitFor(() => expect(terminated).toEqual(['study-a: benchmark interrupted']));
    expect(guard.signal).toBe('SIGINT');
    expect(lines.join('\n')).toContain('SIGINT: terminating study-a; no report is written');
    expect(() => guard?.throwIfInterrupted()).toThrow(BenchInterruptedError);
    expect(() => guard?.throwIfInterrupted()).toThrow(/interrupted \(SIGINT\).*terminated/);
  });

  it('terminates nothing once the study has finished, and a study started after the signal at once', async () => {
    const { client, terminated } = recordingClient();
    guard = terminateStudiesOnInterrupt(client, () => undefined);
    await guard.started('study-a');
    guard.finished();
    process.emit('SIGTERM', 'SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    expect(terminated).toEqual([]);
    expect(guard.signal).toBe('SIGTERM');

    // Started while the signal arrived (the handler saw no running study): terminated by started().
    await guard.started('study-b');
    expect(terminated).toEqual(['study-b: benchmark interrupted']);
  });

  it('leaves at once (exit 130) on a second signal', async () => {
    const { client } = recordingClient();
    guard = terminateStudiesOnInterrupt(client, () => undefined);
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    process.emit('SIGINT', 'SIGINT');
    expect(exit).not.toHaveBeenCalled();
    process.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(130);
  });

  it('says so when the study cannot be terminated, without throwing from the handler', async () => {
    const { client } = recordingClient(true);
    const lines: string[] = [];
    guard = terminateStudiesOnInterrupt(client, (line) => lines.push(line));
    await guard.started('study-a');
    process.emit('SIGINT', 'SIGINT');
    await vi.waitFor(() => expect(lines).toContain('could not terminate study-a: connection refused'));
  });

  it('removes its handlers on dispose', () => {
    const before = process.listenerCount('SIGINT');
    const { client } = recordingClient();
    guard = terminateStudiesOnInterrupt(client, () => undefined);
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    expect(process.listenerCount('SIGTERM')).toBeGreaterThan(0);
    guard.dispose();
    expect(process.listenerCount('SIGINT')).toBe(before);
    guard = undefined;
  });
});
