/**
 * Expected improvement for maximization on a Gaussian latent posterior N(μ, σ²) with incumbent
 * f*: EI = σ·h(u), u = (μ − f*)/σ, h(u) = φ(u) + u·Φ(u) (Jones, Schonlau & Welch 1998, eq. 15).
 *
 * log h is computed without cancellation for very negative u (Ament et al., "Unexpected
 * improvements to expected improvement", NeurIPS 2023, §4): with the Mills-type ratio
 * R(u) = Φ(u)/φ(u) = √(π/2)·erfcx(−u/√2),
 *   h(u) = φ(u)·(1 + u·R(u)),
 * and for u < −200 the factor 1 + uR = u⁻² − 3u⁻⁴ + 15u⁻⁶ − 105u⁻⁸ + 945u⁻¹⁰ (asymptotic series
 * of the normal tail, truncation error below 1e-19 relative there). d log h / du = Φ(u)/h(u),
 * which for u ≤ −1 is R/(1 + uR).
 */
import { erfcx, normalCdf, normalPdf } from '../random/index.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const SQRT_PI_OVER_2 = Math.sqrt(Math.PI / 2);

/** log h(u) and its derivative Φ(u)/h(u). */
export function logH(u: number): { value: number; derivative: number } {
  if (Number.isNaN(u)) return { value: Number.NaN, derivative: Number.NaN };
  if (u > -1) {
    const cdf = normalCdf(u);
    const h = normalPdf(u) + u * cdf;
    return { value: Math.log(h), derivative: cdf / h };
  }
  const logPhi = -0.5 * u * u - LOG_SQRT_2PI;
  let q: number; // 1 + u·R(u) ∈ (0, 1)
  let ratio: number; // R(u)
  if (u < -200) {
    const w = 1 / (u * u);
    q = w * (1 + w * (-3 + w * (15 + w * (-105 + w * 945))));
    ratio = (1 - q) / -u;
  } else {
    ratio = SQRT_PI_OVER_2 * erfcx(-u * Math.SQRT1_2);
    q = 1 + u * ratio;
  }
  return { value: logPhi + Math.log(q), derivative: ratio / q };
}

/** h(u) = φ(u) + u·Φ(u) = EI of a unit-variance posterior with μ − f* = u. */
export function improvementFunction(u: number): number {
  return Math.exp(logH(u).value);
}

/**
 * Expected improvement max(0, f − f*) under f ~ N(mean, sd²). With sd = 0 it is max(0, mean − f*).
 * @returns EI ≥ 0.
 */
export function expectedImprovement(mean: number, sd: number, best: number): number {
  if (!(sd > 0)) return Math.max(0, mean - best);
  return sd * improvementFunction((mean - best) / sd);
}

/**
 * log EI, finite for every finite input with sd > 0 (no underflow to −∞ for very poor points).
 * With sd = 0 it is log max(0, mean − f*), possibly −∞.
 */
export function logExpectedImprovement(mean: number, sd: number, best: number): number {
  if (!(sd > 0)) return Math.log(Math.max(0, mean - best));
  return Math.log(sd) + logH((mean - best) / sd).value;
}

/**
 * log EI and its partial derivatives with respect to the posterior mean and variance (the chain
 * rule into ∂/∂x then only needs ∂μ/∂x and ∂σ²/∂x from the GP):
 *   ∂ logEI/∂μ = (d log h/du)/σ,   ∂ logEI/∂σ² = (1 − u·d log h/du)/(2σ²).
 */
export function logExpectedImprovementWithGradient(
  mean: number,
  variance: number,
  best: number,
): { value: number; dMean: number; dVariance: number } {
  const sd = Math.sqrt(Math.max(variance, 0));
  if (!(sd > 0)) {
    const gap = mean - best;
    return gap > 0
      ? { value: Math.log(gap), dMean: 1 / gap, dVariance: 0 }
      : { value: Number.NEGATIVE_INFINITY, dMean: 0, dVariance: 0 };
  }
  const u = (mean - best) / sd;
  const { value, derivative } = logH(u);
  return {
    value: Math.log(sd) + value,
    dMean: derivative / sd,
    dVariance: (1 - u * derivative) / (2 * variance),
  };
}
