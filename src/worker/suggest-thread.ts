/**
 * Entry point of a {@link SuggestPool} thread: computes suggestions, one message at a time, with
 * the optimizer (or the module named by `workerData.suggestModule`) loaded once for the thread's
 * whole life, WebAssembly kernels included. Requests and suggestions arrive and leave as structured
 * clones of plain JSON, so a suggestion is bit for bit what the same call gives in-process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SuggestRequest, Suggestion } from '../core/types.js';
import { factorCache, setFactorCacheLimit } from '../gp/index.js';
import { suggest as optimizerSuggest } from '../optimizer/index.js';
import type { SuggestThreadReply, SuggestThreadData, SuggestThreadJob } from './suggest-pool.js';

const port = parentPort;
if (port === null) throw new Error('suggest-thread runs as a worker thread of a SuggestPool, not as a program');

const { suggestModule, factorCacheBytes } = (workerData ?? {}) as SuggestThreadData;
if (factorCacheBytes !== undefined) setFactorCacheLimit(factorCacheBytes);
const suggest: (request: SuggestRequest) => Suggestion =
  suggestModule === undefined
    ? optimizerSuggest
    : ((await import(suggestModule)) as { suggest: (request: SuggestRequest) => Suggestion }).suggest;
if (typeof suggest !== 'function') throw new TypeError(`suggestModule ${suggestModule} does not export suggest()`);

/** Factor sizes already warned about (once each power of two: a growing study warns a few times). */
const warnedSizes = new Set<number>();

/**
 * Once per size, that a study's GP factor does not fit the cache's bound (docs/reliability.md):
 * sent with the suggestion, for the pool to log.
 */
function tooLargeFactorWarning(): string | undefined {
  const tooLarge = factorCache.takeTooLarge();
  if (tooLarge === null) return undefined;
  const size = Math.ceil(Math.log2(tooLarge.bytes));
  if (warnedSizes.has(size)) return undefined;
  warnedSizes.add(size);
  const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
  return (
    `memotune: a ${tooLarge.points}-trial study's GP factor (${mb(tooLarge.bytes)}) is more than the factor cache's ` +
    `${mb(tooLarge.limitBytes)} (--factor-cache-mb): each of its suggestions factors anew, O(n³)`
  );
}

port.on('message', ({ id, request }: SuggestThreadJob) => {
  let reply: SuggestThreadReply;
  try {
    const suggestion = suggest(request);
    const warning = tooLargeFactorWarning();
    reply = { id, suggestion, ...(warning === undefined ? {} : { warning }) };
  } catch (error) {
    // Rebuilt on the other side by name: RangeError/TypeError stay what they are (the activity
    // refuses such requests for good), anything else becomes a plain Error with the same message.
    reply =
      error instanceof Error
        ? { id, error: { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) } }
        : { id, error: { name: 'Error', message: String(error) } };
  }
  port.postMessage(reply);
});
