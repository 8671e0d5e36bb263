import { describe, expect, it } from 'vitest';
import { configLine } from '../../../src/core/config-line.js';
import type { Configuration } from '../../../src/core/types.js';

describe('a configuration in one line', () => {
  it('names stages, rounds non-integers to the significant digits and shows integers whole', () => {
    const config: Configuration = [
      { augment: 'flip', crop: true },
      { lr: 0.0123456789, batch: 1_000_000 },
    ];
    expect(configLine(config, ['prep', 'train'])).toBe(
      'prep: augment=flip crop=true | train: lr=0.0123457 batch=1000000',
    );
    expect(configLine(config, undefined, 3)).toBe('stage0: augment=flip crop=true | stage1: lr=0.0123 batch=1000000');
  });

  it('names a stage without hyperparameters alone', () => {
    expect(configLine([{ lr: 0.5 }, {}], ['train', 'evaluate'])).toBe('train: lr=0.5 | evaluate');
  });
});
