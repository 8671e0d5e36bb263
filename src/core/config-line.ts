/**
 * A configuration in one line, `prep: augment=flip | train: lr=0.01 epochs=20`, as the CLI, the
 * progress card and the trials' summaries in the Temporal UI show it. Workflow-safe and pure.
 */
import type { Configuration } from './types.js';

/**
 * @param names stage names in pipeline order (`stage<i>` where missing)
 * @param significant significant digits of numbers (integers are shown whole)
 */
export function configLine(config: Configuration, names?: readonly string[], significant = 6): string {
  return config
    .map((stage, index) => {
      const values = Object.entries(stage)
        .map(([key, value]) => `${key}=${typeof value === 'number' ? numberText(value, significant) : String(value)}`)
        .join(' ');
      const name = names?.[index] ?? `stage${index}`;
      // A stage without hyperparameters (an evaluation stage) is named alone, without a dangling colon.
      return values === '' ? name : `${name}: ${values}`;
    })
    .join(' | ');
}

/** Integers whole (a batch size of 1000000 stays 1000000), others to `significant` digits. */
function numberText(value: number, significant: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(significant)));
}
