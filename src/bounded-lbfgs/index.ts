export { minimizeBounded } from './minimize-bounded.js';
export type { MinimizeOptions, MinimizeResult } from './minimize-bounded.js';
