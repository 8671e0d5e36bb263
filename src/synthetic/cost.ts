/**
 * The synthetic stage-cost family of the EEIPU paper's synthetic pipelines:
 *
 *     c_k(x) = Σ_d (scale_d · f_d(x_d) + shift_d)² / (500 · dims_k)
 *
 * with f_d ∈ {cos, sin, logistic(x) = 1/(1+e^(−10x)), square(x) = x²}, one term per
 * hyperparameter of the stage, on the raw (not normalized) values.
 */

/** Shape functions a cost term may use. */
export const COST_SHAPE_NAMES = ['cos', 'sin', 'logistic', 'square'] as const;

export type CostShapeName = (typeof COST_SHAPE_NAMES)[number];

/** One cost term `(scale · f(x_d) + shift)²`. */
export interface CostTerm {
  readonly f: CostShapeName;
  readonly scale: number;
  readonly shift: number;
}

const SHAPES: Readonly<Record<CostShapeName, (x: number) => number>> = {
  cos: Math.cos,
  sin: Math.sin,
  logistic: (x) => 1 / (1 + Math.exp(-10 * x)),
  square: (x) => x * x,
};

/** Applies one of the cost shape functions. */
export function costShape(f: CostShapeName, x: number): number {
  return SHAPES[f](x);
}

/**
 * A stage's synthetic cost for its raw param values (term d reads value d).
 *
 * @throws RangeError when the number of terms and values differ.
 */
export function syntheticStageCost(terms: readonly CostTerm[], values: readonly number[]): number {
  if (terms.length !== values.length) {
    throw new RangeError(`cost has ${terms.length} terms for ${values.length} params`);
  }
  let sum = 0;
  terms.forEach((term, d) => {
    sum += (term.scale * costShape(term.f, values[d] as number) + term.shift) ** 2;
  });
  return sum / (500 * terms.length);
}
