export { SpaceEncoding } from './encoding.js';
export type { DimensionRange, EncodedParam } from './encoding.js';
export * as limits from './limits.js';
export {
  choiceProblem,
  configurationBytesBound,
  configurationProblems,
  encodedDimension,
  isFixedParam,
  isValidValue,
  jsonBytes,
  nameProblem,
  paramIssues,
  searchSpaceIssues,
  spaceLimitIssues,
  spaceStructureIssues,
  textProblem,
  utf8Bytes,
  validateConfiguration,
  validateSpace,
} from './validate.js';
export type { ConfigurationProblem, SpaceIssue } from './validate.js';
export { fillConfiguration, hasGivenValues, isComplete, padStages } from './partial.js';
