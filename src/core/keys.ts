import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { Configuration } from './types.js';

/** What identifies a stage's code, independent of its hyperparameters. */
export interface StageIdentity {
  readonly name: string;
  /** Bump when the stage's code changes so old outputs are no longer reused. @default '1' */
  readonly version?: string;
}

/**
 * Chained stage keys (Merkle style): key_k = sha256(pipelineId, stage name, stage version,
 * canonical JSON of stage k's hyperparameters, key_{k-1}). Stage k's output depends on stages
 * 1..k only, so equal keys mean an equal prefix. Keys are hex digests: raw user strings never
 * reach an S3 key.
 */
export function stageKeys(pipelineId: string, stages: readonly StageIdentity[], config: Configuration): string[] {
  if (config.length !== stages.length) {
    throw new RangeError(`config has ${config.length} stages, pipeline has ${stages.length}`);
  }
  const keys: string[] = [];
  let parent = '';
  stages.forEach((stage, index) => {
    const digest = createHash('sha256')
      .update(canonicalJson([pipelineId, stage.name, stage.version ?? '1', config[index], parent]))
      .digest('hex');
    keys.push(digest);
    parent = digest;
  });
  return keys;
}
