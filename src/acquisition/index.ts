export {
  expectedImprovement,
  improvementFunction,
  logExpectedImprovement,
  logExpectedImprovementWithGradient,
  logH,
} from './log-ei.js';
export { expectedInverseCost, inverseCostsByPrefix, inverseCostWithGradient } from './cost.js';
