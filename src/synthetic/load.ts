import { readFile } from 'node:fs/promises';
import { parseSyntheticSpec, type SyntheticPipelineSpec } from './spec.js';

/**
 * Reads and validates a synthetic pipeline spec from a JSON file.
 *
 * @throws Error naming the file when it cannot be read or is not JSON; the
 *   {@link parseSyntheticSpec} error (every issue with its path) when it is invalid.
 */
export async function readSyntheticSpec(path: string): Promise<SyntheticPipelineSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return parseSyntheticSpec(json);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}
