/**
 * The Pandora's Box Gittins index (PBGI; Xie, Astudillo, Frazier, Scully & Terenin, "Cost-aware
 * Bayesian optimization via the Pandora's Box Gittins index", NeurIPS 2024, arXiv 2406.20062) of a
 * Gaussian latent posterior f ~ N(μ, σ²), for MAXIMIZATION (memotune maximizes y' = ±objective):
 *
 *   α(x) = g  such that  EI(μ, σ; g) = c,   EI(μ, σ; g) = σ·h((μ − g)/σ),   h(u) = φ(u) + u·Φ(u),
 *
 * where c > 0 is the evaluation cost expressed in objective units (the paper's λ·c(x)). EI is
 * strictly decreasing in g (∂EI/∂g = −Φ(u) < 0) from +∞ to 0, so the root is unique: with
 * u* = h⁻¹(c/σ) the index is g = μ − σ·u*. Everything reduces to inverting h once, in log space
 * (log h from log-ei.ts is finite for every u), so tiny costs and tiny σ lose no precision.
 *
 * Gradient (implicit function theorem on F(g, μ, σ, c) = σ·h((μ − g)/σ) − c, with ∂F/∂g = −Φ(u),
 * ∂F/∂μ = Φ(u), ∂F/∂σ = h(u) − u·Φ(u) = φ(u), ∂F/∂c = −1):
 *
 *   ∂g/∂μ = 1,   ∂g/∂σ = φ(u)/Φ(u),   ∂g/∂c = −1/Φ(u),
 *
 * evaluated at the root u = u*. φ/Φ and c/Φ = σ·h/Φ are formed from the Mills ratio and from
 * d log h/du = Φ/h, so they stay finite where Φ(u) underflows.
 *
 * With σ = 0 the posterior is a point mass: EI = max(0, μ − g), so g = μ − c (and the gradient is
 * the σ → 0 limit: 1, 0, −1).
 *
 * The cost of a candidate is random (a cost model's prediction). The index of a box with a random
 * inspection cost independent of its reward solves EI(g) = E[c] (the cost enters the Pandora's Box
 * value linearly), so the costs here are expected costs: {@link expectedCost} and
 * {@link expectedCostsByPrefix} give E[C_δ] of the log-normal stage-cost models in closed form,
 * with the first δ stages reused from the cache at ε each, as EEIPU counts them.
 */
import { erfcx, normalCdf, normalPdf } from '../random/index.js';
import { stageCost } from './cost.js';
import { logH } from './log-ei.js';

const SQRT_PI_OVER_2 = Math.sqrt(Math.PI / 2);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
/**
 * Above this log(c/σ) (c/σ > 4.3e15), h(u) = u + h(−u) equals u in double precision at the root
 * (h(−u) < φ(u) underflows far earlier), so u* = c/σ and g = μ − c exactly as with σ = 0.
 */
const LOG_RATIO_LINEAR = 36;
const MAX_ITERATIONS = 200;

/**
 * The u with log h(u) = `logTarget` (h is increasing and log-concave, so the root is unique for
 * every finite target): the standardized distance (μ − g)/σ of the PBGI root when
 * logTarget = log(c/σ).
 *
 * Safeguarded Newton on f(u) = log h(u) − logTarget inside a bracket that always holds the root:
 * hi = r (h(u) > u everywhere, so f(r) > 0) and lo = min(r − 1, −√(−2 log r)) (for u < 0,
 * h(u) < φ(u) ≤ r/√(2π) at u = −√(−2 log r); for r − 1 ≥ 0, h(r − 1) ≤ r − 1 + φ(0) < r). A Newton
 * step that leaves the bracket is replaced by bisection. log h is concave, so from the left of the
 * root Newton steps approach it monotonically; convergence is quadratic near the root.
 */
export function inverseLogH(logTarget: number): number {
  if (Number.isNaN(logTarget)) return Number.NaN;
  if (logTarget === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (logTarget > LOG_RATIO_LINEAR) return Math.exp(logTarget);
  const r = Math.exp(logTarget);
  let lo = Math.min(r - 1, -Math.sqrt(Math.max(0, -2 * logTarget)));
  let hi = r;
  // Starting point from the asymptotics: h(u) ≈ u for large u; log h(u) ≈ −u²/2 − log√(2π) − 2 log|u|
  // for very negative u (one fixed-point pass on u² = −2·(target + log√(2π)) − 4 log|u|).
  let u: number;
  if (logTarget >= 0) {
    u = r;
  } else if (logTarget > -1.5) {
    u = 2 * (r - 0.4); // h(u) ≈ φ(0) + u/2 near 0
  } else {
    let s = Math.sqrt(Math.max(1, -2 * (logTarget + LOG_SQRT_2PI)));
    s = Math.sqrt(Math.max(1, -2 * (logTarget + LOG_SQRT_2PI) - 4 * Math.log(s)));
    u = -s;
  }
  if (!(u > lo && u < hi)) u = 0.5 * (lo + hi);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    const { value, derivative } = logH(u);
    const f = value - logTarget;
    if (f === 0) return u;
    if (f > 0) hi = u;
    else lo = u;
    let next = u - f / derivative;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const step = Math.abs(next - u);
    u = next;
    if (
      step <= 4 * Number.EPSILON * Math.max(1, Math.abs(u)) ||
      hi - lo <= 4 * Number.EPSILON * Math.max(1, Math.abs(u))
    ) {
      return u;
    }
  }
  return u;
}

/** The index and its partial derivatives (with respect to the variance σ², like log-ei.ts). */
export interface GittinsIndexWithGradient {
  /** g with EI(μ, σ; g) = c. */
  readonly value: number;
  /** ∂g/∂μ (= 1). */
  readonly dMean: number;
  /** ∂g/∂σ² = φ(u)/(2σ·Φ(u)). */
  readonly dVariance: number;
  /** ∂g/∂log c = −c/Φ(u). */
  readonly dLogCost: number;
}

/** φ(u)/Φ(u), finite for every u (the inverse Mills ratio of the lower tail). */
function pdfOverCdf(u: number): number {
  if (u > -1) return normalPdf(u) / normalCdf(u);
  return 1 / (SQRT_PI_OVER_2 * erfcx(-u * Math.SQRT1_2));
}

/**
 * PBGI with the cost given by its logarithm (no underflow for very small costs) and the gradient.
 *
 * @param mean - posterior mean μ of the latent objective (maximized).
 * @param variance - posterior variance σ² ≥ 0.
 * @param logCost - log c, c the cost in objective units (−∞ for c = 0).
 * @returns g = +∞ when c = 0 and σ > 0 (no threshold makes free information not worth taking);
 *   NaN for NaN inputs.
 */
export function gittinsIndexFromLogCost(mean: number, variance: number, logCost: number): GittinsIndexWithGradient {
  if (Number.isNaN(mean) || Number.isNaN(variance) || Number.isNaN(logCost)) {
    return { value: Number.NaN, dMean: Number.NaN, dVariance: Number.NaN, dLogCost: Number.NaN };
  }
  const sd = Math.sqrt(Math.max(variance, 0));
  const cost = Math.exp(logCost);
  if (!(sd > 0)) return { value: mean - cost, dMean: 1, dVariance: 0, dLogCost: -cost };
  if (logCost === Number.NEGATIVE_INFINITY) {
    return { value: Number.POSITIVE_INFINITY, dMean: 1, dVariance: 0, dLogCost: 0 };
  }
  const logRatio = logCost - Math.log(sd);
  if (logRatio > LOG_RATIO_LINEAR) {
    // u* = c/σ to double precision: g = μ − c, Φ(u*) = 1, φ(u*) = 0.
    return { value: mean - cost, dMean: 1, dVariance: 0, dLogCost: -cost };
  }
  const u = inverseLogH(logRatio);
  const { derivative } = logH(u); // Φ(u)/h(u)
  // For u > 0, h(u) = u + h(−u) gives σ·u = c − σ·h(−u) exactly: g = μ − c + σ·h(−u) avoids the
  // rounding of σ·u ≈ c when σ is small next to c (the point-mass limit is then exact).
  const value = u > 0 ? mean - cost + sd * Math.exp(logH(-u).value) : mean - sd * u;
  return {
    value,
    dMean: 1,
    dVariance: pdfOverCdf(u) / (2 * sd),
    // c/Φ(u) = σ·h(u)/Φ(u) at the root.
    dLogCost: -sd / derivative,
  };
}

/**
 * PBGI α = g with EI(mean, √variance; g) = cost (see the module comment). cost > 0 in objective
 * units; cost = 0 gives +∞ (σ > 0) or the mean (σ = 0).
 */
export function gittinsIndex(mean: number, variance: number, cost: number): number {
  return gittinsIndexFromLogCost(mean, variance, Math.log(cost)).value;
}

/**
 * PBGI and its derivatives with respect to μ, σ² and c itself (∂g/∂c = −1/Φ(u)), for a cost that
 * is itself a differentiable function of x.
 */
export function gittinsIndexWithGradient(
  mean: number,
  variance: number,
  cost: number,
): { value: number; dMean: number; dVariance: number; dCost: number } {
  const index = gittinsIndexFromLogCost(mean, variance, Math.log(cost));
  return {
    value: index.value,
    dMean: index.dMean,
    dVariance: index.dVariance,
    dCost: cost > 0 ? index.dLogCost / cost : Number.NEGATIVE_INFINITY,
  };
}

/** A candidate as the index sees it: the latent posterior and its expected cost. */
export interface IndexCandidate {
  readonly mean: number;
  readonly variance: number;
  /** Expected cost in cost units (c_δ(x) for a candidate reusing δ cached stages). */
  readonly cost: number;
}

/**
 * max over the candidates of α_PBGI(x; λ) with costs λ·c (−∞ for no candidate; NaN indices are
 * skipped): what the cost-aware stopping rule (stopping.ts) compares with the incumbent.
 *
 * @param costWeight - λ, objective units per cost unit (> 0).
 */
export function bestGittinsIndex(candidates: Iterable<IndexCandidate>, costWeight: number): number {
  if (!(costWeight > 0)) throw new RangeError('costWeight must be > 0');
  const logWeight = Math.log(costWeight);
  let best = Number.NEGATIVE_INFINITY;
  for (const { mean, variance, cost } of candidates) {
    const value = gittinsIndexFromLogCost(mean, variance, logWeight + Math.log(cost)).value;
    if (value > best) best = value;
  }
  return best;
}

/**
 * E[C] = fixed + Σ_s E[exp(a_s + b_s·Z)] = fixed + Σ_s exp(a_s + b_s²/2) over the stages that run
 * (log-normal stage costs with log-cost mean a_s and standard deviation b_s), with
 * ∂E/∂a_s = exp(a_s + b_s²/2) and ∂E/∂b_s = b_s·exp(a_s + b_s²/2). The exponent is clamped like
 * {@link stageCost}.
 *
 * @param fixed - cost that does not depend on the candidate (δ·ε for δ cached stages).
 * @param dA - receives ∂E/∂a_s (length ≥ a.length); `dB` likewise for b.
 */
export function expectedCost(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  fixed: number,
  dA?: Float64Array,
  dB?: Float64Array,
): number {
  let total = fixed;
  for (let s = 0; s < a.length; s++) {
    const bs = b[s]!;
    const c = stageCost(a[s]! + 0.5 * bs * bs);
    total += c;
    if (dA !== undefined) dA[s] = c;
    if (dB !== undefined) dB[s] = bs * c;
  }
  return total;
}

/**
 * The memoization-aware cost of PBGI for every prefix length at once:
 *   out[δ] = E[C_δ] = δ·ε + Σ_{s ≥ δ} exp(a_s + b_s²/2),   δ = 0..S−1,
 * i.e. the first δ stages are reused from the cache at ε each and the others run (as EEIPU counts
 * them; shared/docs/eeipu.md). Suffix sums: S exponentials per candidate whatever the prefix.
 */
export function expectedCostsByPrefix(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  epsilon: number,
  out: Float64Array,
): void {
  let tail = 0;
  for (let s = a.length - 1; s >= 0; s--) {
    const bs = b[s]!;
    tail += stageCost(a[s]! + 0.5 * bs * bs);
    out[s] = s * epsilon + tail;
  }
}

/**
 * PBGI-D's schedule (Xie et al. 2024, §4): λ starts at λ₀ = 0.1 and is divided by β = 2 after every
 * step whose chosen candidate's index did not exceed the best observed value (the step at which
 * the Gittins stopping rule would have fired), so the cost weight decays only when the index says
 * further evaluations are no longer worth their (λ-weighted) cost.
 */
export const PBGI_DECAY = Object.freeze({ initialLambda: 0.1, factor: 2 });

/**
 * One PBGI-D update: λ_{t+1} = λ_t/β when f*_t ≥ α(x_t; λ_t), else λ_t.
 *
 * @param lambda - λ_t used for the step.
 * @param chosenIndex - the index α(x_t; λ_t) of the candidate the step chose.
 * @param incumbent - the best observed value f*_t at that step (same sign convention: maximized).
 */
export function decayedLambda(
  lambda: number,
  chosenIndex: number,
  incumbent: number,
  factor: number = PBGI_DECAY.factor,
): number {
  return incumbent >= chosenIndex ? lambda / factor : lambda;
}

/**
 * PBGI-D's λ without carried state: the largest λ₀/β^k (k = 0, 1, …) at which some candidate's
 * index still exceeds the incumbent. Since α(x; λ) > f* ⇔ EI(x; f*) > λ·c(x), that is the largest
 * grid value strictly below max_x EI(x; f*)/c(x) (capped at λ₀). It is what PBGI-D's λ settles at
 * when the best EI per cost only falls, reached at once instead of one halving per step, and it
 * needs nothing but the current posterior (a restarted study makes the same choice).
 *
 * @param logMaxEipc - log max_x EI(x; f*)/c(x) over the candidates (costs in the same units as λ).
 * @param maxHalvings - cap on k (the λ floor), for a posterior with no expected improvement left.
 */
export function lambdaBelowEipc(
  logMaxEipc: number,
  initial: number = PBGI_DECAY.initialLambda,
  factor: number = PBGI_DECAY.factor,
  maxHalvings = 200,
): number {
  if (Number.isNaN(logMaxEipc)) return initial;
  const logInitial = Math.log(initial);
  if (logMaxEipc > logInitial) return initial;
  const logFactor = Math.log(factor);
  // Smallest k ≥ 0 with log λ₀ − k log β < log E.
  let k = Math.floor((logInitial - logMaxEipc) / logFactor) + 1;
  if (!Number.isFinite(k) || k > maxHalvings) k = maxHalvings;
  // Guard the strict inequality against rounding of the division.
  while (k < maxHalvings && logInitial - k * logFactor >= logMaxEipc) k++;
  return initial / Math.pow(factor, k);
}
