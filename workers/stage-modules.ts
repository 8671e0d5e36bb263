import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { syntheticStages } from '../src/examples/synthetic-stages.js';
import { packageRoot } from '../src/package-root.js';
import type { StageRegistry } from '../src/stages/types.js';
import { parseSyntheticSpec } from '../src/synthetic/index.js';

const benchmarksDir = join(packageRoot, 'benchmarks');

/** Stage implementations of every synthetic pipeline shipped in benchmarks/*.json. */
export function builtInStages(): StageRegistry {
  let registry: StageRegistry = {};
  for (const file of readdirSync(benchmarksDir).filter((name) => name.endsWith('.json'))) {
    const spec = parseSyntheticSpec(JSON.parse(readFileSync(join(benchmarksDir, file), 'utf8')));
    registry = { ...registry, ...syntheticStages(spec) };
  }
  return registry;
}

/** Loads a user's stage module: its `stages` export or default export must be a registry. */
export async function loadStageModule(path: string): Promise<StageRegistry> {
  if (/\.[cm]?ts$/.test(path) && !process.execArgv.some((arg) => /tsx|ts-node|strip-types/.test(arg))) {
    throw new Error(`${path} is TypeScript: compile it (tsc) and pass the .js file, e.g. --stages dist/stages.js`);
  }
  const module = (await import(pathToFileURL(resolve(path)).href)) as {
    stages?: StageRegistry;
    default?: StageRegistry;
  };
  const registry = module.stages ?? module.default;
  if (registry === undefined || typeof registry !== 'object') {
    throw new Error(`${path} must export a stage registry as 'stages' or default`);
  }
  for (const [name, implementation] of Object.entries(registry)) {
    if (typeof implementation !== 'function') throw new Error(`${path}: stage '${name}' is not a function`);
  }
  return registry;
}
