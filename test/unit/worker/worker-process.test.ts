/** What `memotune worker` says it serves when it starts (workers/main.ts). */
import { describe, expect, it } from 'vitest';
import { stagesDescription } from '../../../workers/main.js';

describe('the worker start-up line', () => {
  it("names the user's stages apart from the built-in synthetic ones", () => {
    expect(stagesDescription('dist/stages.js', ['prepare', 'train'], 14)).toBe(
      'stages from dist/stages.js: prepare, train (+ 14 built-in synthetic)',
    );
  });

  it('says when no stage module was given', () => {
    expect(stagesDescription(undefined, [], 14)).toBe(
      'no stages (the orchestration queue only: the study loop and the optimizer)',
    );
    // Serving stage queues without a module: the examples' stages only, and what to do instead.
    expect(stagesDescription(undefined, [], 14, true)).toBe(
      "stages: 14 built-in synthetic only (the examples'). Your own stages need --stages <module>; beside " +
        'Python stage workers, serve --queues orchestration, or this worker takes tasks off their queues',
    );
  });
});
