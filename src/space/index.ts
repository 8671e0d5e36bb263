export { SpaceEncoding } from './encoding.js';
export type { DimensionRange, EncodedParam } from './encoding.js';
export { isValidValue, validateConfiguration, validateSpace } from './validate.js';
