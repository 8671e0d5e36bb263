export {
  expectedImprovement,
  improvementFunction,
  logExpectedImprovement,
  logExpectedImprovementWithGradient,
  logH,
} from './log-ei.js';
export {
  expectedInverseCost,
  InverseCostEstimator,
  inverseCostsByPrefix,
  inverseCostWithGradient,
  stageCost,
} from './cost.js';
export { Acquisition, NO_REUSE, type CostKind, type LogCostModel, type Reuse } from './eeipu.js';
export {
  bestGittinsIndex,
  decayedLambda,
  expectedCost,
  expectedCostsByPrefix,
  gittinsIndex,
  gittinsIndexFromLogCost,
  gittinsIndexWithGradient,
  inverseLogH,
  lambdaBelowEipc,
  PBGI_DECAY,
  type GittinsIndexWithGradient,
  type IndexCandidate,
} from './pbgi.js';
export { expectedCostTable, GittinsAcquisition } from './pbgi-acquisition.js';
export { costAwareStop, costAwareStopFromLogEipc } from './stopping.js';
