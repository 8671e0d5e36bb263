import type { MethodName } from './types.js';

/**
 * The methods that pin candidates to cached prefixes (EEIPU's prefix pool): their BO suggestions
 * may reuse stages, so the optimizer pools prefixes for them, the effort check counts their local
 * searches per prefix, and with parallel trials a running trial of theirs reports the stages it
 * settles (single flight). Workflow-safe (the study workflow asks it).
 */
export function reusesPrefixes(method: MethodName): boolean {
  return method === 'eeipu' || method === 'pbgi-memo';
}
