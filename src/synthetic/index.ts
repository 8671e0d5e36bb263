/**
 * Synthetic multi-stage pipelines: standard test functions as stage objectives and the EEIPU
 * paper's cost family as stage costs, described by a validated JSON spec.
 */
export { COST_SHAPE_NAMES, costShape, syntheticStageCost } from './cost.js';
export type { CostShapeName, CostTerm } from './cost.js';
export { SYNTHETIC_FUNCTIONS, SYNTHETIC_FUNCTION_NAMES, evaluateSyntheticFunction } from './functions.js';
export type { SyntheticFunction, SyntheticFunctionName } from './functions.js';
export { evaluateSynthetic, stageCost, stageObjective, syntheticCurve, syntheticSearchSpace } from './pipeline.js';
export type { SyntheticEvaluation } from './pipeline.js';
export { formatIssuePath, parseSyntheticSpec } from './spec.js';
export type { SyntheticPipelineSpec, SyntheticStageSpec } from './spec.js';
export { readSyntheticSpec } from './load.js';
