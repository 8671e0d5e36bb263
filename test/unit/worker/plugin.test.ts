import { describe, expect, it } from 'vitest';
import { MemotunePlugin } from '../../../src/plugin.js';
import { MemoryObjectStore } from '../../../src/storage/object-store.js';

describe('MemotunePlugin', () => {
  const plugin = new MemotunePlugin({ store: new MemoryObjectStore(), stages: {} });

  it("adds memotune's stage activity to a worker's own activities, keeping them", () => {
    const greet = async () => 'hello';
    const options = plugin.configureWorker({ taskQueue: 'mine', activities: { greet } });
    const activities = options.activities as Record<string, unknown>;
    expect(Object.keys(activities).sort()).toEqual(['greet', 'runStage']);
    expect(activities.greet).toBe(greet);
  });

  it('refuses a worker with an activity of its own named runStage instead of replacing it', () => {
    expect(() => plugin.configureWorker({ taskQueue: 'mine', activities: { runStage: async () => 'mine' } })).toThrow(
      /already registers an activity named 'runStage'.*rename yours/,
    );
  });
});
