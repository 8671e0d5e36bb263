/**
 * Gamma priors of the MAP fit, in the rate parametrization: p(v) = βᵅ v^(α−1) e^(−βv) / Γ(α).
 * The prior is a density on the parameter v itself (as in GPyTorch), evaluated while optimizing
 * over θ = log v; the fit adds no Jacobian term.
 */

/** Concentration α and rate β of a Gamma prior. */
export interface GammaPrior {
  readonly concentration: number;
  readonly rate: number;
}

/** Lengthscale ~ Gamma(3, 6): mode 1/3 of the unit cube. */
export const LENGTHSCALE_PRIOR: GammaPrior = { concentration: 3, rate: 6 };
/** Output scale ~ Gamma(2, 0.15). */
export const OUTPUT_SCALE_PRIOR: GammaPrior = { concentration: 2, rate: 0.15 };
/** Noise variance ~ Gamma(1.1, 0.05). */
export const NOISE_PRIOR: GammaPrior = { concentration: 1.1, rate: 0.05 };

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;

/** log Γ(x) for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xm = x - 1;
  let a = LANCZOS[0];
  const t = xm + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (xm + i);
  return 0.5 * Math.log(2 * Math.PI) + (xm + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log p(v) of a Gamma prior at v = e^θ. */
export function gammaLogDensity(prior: GammaPrior, theta: number): number {
  const { concentration: a, rate: b } = prior;
  return a * Math.log(b) - logGamma(a) + (a - 1) * theta - b * Math.exp(theta);
}

/** d log p(e^θ) / dθ = (α − 1) − β·e^θ. */
export function gammaLogDensityDerivative(prior: GammaPrior, theta: number): number {
  return prior.concentration - 1 - prior.rate * Math.exp(theta);
}
