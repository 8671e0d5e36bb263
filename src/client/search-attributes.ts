/**
 * Registering memotune's search attributes on a namespace, and finding out whether they are there.
 * `memotune dev` registers them on the local server; `memotune cluster setup` on a self-hosted
 * cluster (Temporal Cloud: `tcld namespace search-attributes add`, see the README). A study started
 * on a namespace without them still runs — it just is not searchable (the plan says so).
 */
import type { ConnectionLike } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
// A CommonJS module: its namespaces are properties of the default export under Node's ESM loader.
import proto, { type temporal } from '@temporalio/proto';
import { memotuneSearchAttributes } from '../../workflows/search-attributes.js';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

const indexedTypeOf: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

/** Names of memotune's attributes the namespace lacks (or has with another type). */
export async function missingSearchAttributes(connection: ConnectionLike, namespace: string): Promise<string[]> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = response.customAttributes ?? {};
  return memotuneSearchAttributes.filter((key) => custom[key.name] !== indexedTypeOf[key.type]).map((key) => key.name);
}

/**
 * Adds memotune's search attributes to the namespace; a no-op when they are there already.
 * @throws when one exists with another type (rename it or drop it first), or the server refuses
 *   (no permission, no free slot of that type — SQL visibility has 10 Keyword, 3 Int, 3 Double)
 */
export async function registerSearchAttributes(connection: ConnectionLike, namespace: string): Promise<string[]> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = response.customAttributes ?? {};
  const clashing = memotuneSearchAttributes.filter(
    (key) => custom[key.name] !== undefined && custom[key.name] !== indexedTypeOf[key.type],
  );
  if (clashing.length > 0) {
    throw new Error(
      `search attribute ${clashing.map((key) => key.name).join(', ')} exists on namespace '${namespace}' with another type; ` +
        'remove it (temporal operator search-attribute remove) and run this again',
    );
  }
  const missing = memotuneSearchAttributes.filter((key) => custom[key.name] === undefined);
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedTypeOf[key.type]!])),
  });
  return missing.map((key) => key.name);
}
