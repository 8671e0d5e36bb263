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
export { Acquisition, type CostKind, type LogCostModel } from './eeipu.js';
