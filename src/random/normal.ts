/**
 * The standard normal distribution: density φ, distribution Φ (through erfc), the scaled
 * complementary error function erfcx(x) = exp(x²)·erfc(x), and the quantile Φ⁻¹.
 *
 * erfc / erfcx use W. J. Cody's near-minimax rational approximations ("Rational Chebyshev
 * approximations for the error function", Math. Comp. 23, 1969, pp. 631–638; coefficients of
 * the netlib SPECFUN packet CALERF), accurate to about 1e-16 relative over the whole line. Φ⁻¹
 * starts from P. J. Acklam's rational approximation (relative error < 1.2e-9) and polishes it with
 * one Halley step on Φ, which brings it to full double precision.
 */

const SQRT_PI_INV = 0.5641895835477562869; // 1/√π
const SQRT_2PI_INV = 0.3989422804014327; // 1/√(2π)
const SQRT1_2 = Math.SQRT1_2;

// Cody's coefficients: erf on |x| ≤ 0.46875.
const A = [3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153];
const B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062];
// erfcx on 0.46875 < x ≤ 4.
const C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909,
  1712.04761263407058, 2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8,
];
const D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963,
  4362.61909014324716, 3439.36767414372164, 1230.33935480374942,
];
// erfcx on x > 4 (in 1/x²).
const P = [
  0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766, 6.58749161529837803e-4,
  0.0163153871373020978,
];
const Q = [
  2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185,
];

/** erf(x) for |x| ≤ 0.46875. */
function erfSmall(x: number): number {
  const ysq = x * x;
  let num = A[4]! * ysq;
  let den = ysq;
  for (let i = 0; i < 3; i++) {
    num = (num + A[i]!) * ysq;
    den = (den + B[i]!) * ysq;
  }
  return (x * (num + A[3]!)) / (den + B[3]!);
}

/** exp(y²)·erfc(y) for y > 0.46875. */
function erfcxLarge(y: number): number {
  if (y <= 4) {
    let num = C[8]! * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]!) * y;
      den = (den + D[i]!) * y;
    }
    return (num + C[7]!) / (den + D[7]!);
  }
  // Above ~6.7e7, 1 − 1/(2y²) rounds to 1: the leading asymptotic term is exact to double.
  if (y >= 6.71e7) return SQRT_PI_INV / y;
  const ysq = 1 / (y * y);
  let num = P[5]! * ysq;
  let den = ysq;
  for (let i = 0; i < 4; i++) {
    num = (num + P[i]!) * ysq;
    den = (den + Q[i]!) * ysq;
  }
  const r = (ysq * (num + P[4]!)) / (den + Q[4]!);
  return (SQRT_PI_INV - r) / y;
}

/** exp(−y²) computed as exp(−a²)·exp(−(y−a)(y+a)) with a = y rounded to 1/16, as Cody does. */
function expMinusSquare(y: number): number {
  const a = Math.trunc(y * 16) / 16;
  return Math.exp(-a * a) * Math.exp(-(y - a) * (y + a));
}

/** Complementary error function erfc(x) = 1 − erf(x). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erfSmall(x);
  const positive = y >= 26.543 ? 0 : expMinusSquare(y) * erfcxLarge(y);
  return x < 0 ? 2 - positive : positive;
}

/** Error function. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const y = Math.abs(x);
  if (y <= 0.46875) return erfSmall(x);
  const complement = y >= 26.543 ? 0 : expMinusSquare(y) * erfcxLarge(y);
  return x < 0 ? complement - 1 : 1 - complement;
}

/** Scaled complementary error function erfcx(x) = exp(x²)·erfc(x) (finite for every x > −26.6). */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const y = Math.abs(x);
  if (y <= 0.46875) return Math.exp(x * x) * (1 - erfSmall(x));
  if (x > 0) return erfcxLarge(y);
  if (x < -26.628) return Number.POSITIVE_INFINITY;
  const a = Math.trunc(y * 16) / 16;
  const e2 = Math.exp(a * a) * Math.exp((y - a) * (y + a));
  return 2 * e2 - erfcxLarge(y);
}

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return SQRT_2PI_INV * Math.exp(-0.5 * x * x);
}

/** Standard normal distribution function Φ(x), accurate in both tails. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}

// Acklam's coefficients.
const QA = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const QB = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const QC = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const QD = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Φ⁻¹(p) for 0 < p ≤ 0.5 (the lower half, where p carries full relative precision). */
function lowerQuantile(p: number): number {
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((QC[0]! * q + QC[1]!) * q + QC[2]!) * q + QC[3]!) * q + QC[4]!) * q + QC[5]!) /
      ((((QD[0]! * q + QD[1]!) * q + QD[2]!) * q + QD[3]!) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((QA[0]! * r + QA[1]!) * r + QA[2]!) * r + QA[3]!) * r + QA[4]!) * r + QA[5]!) * q) /
      (((((QB[0]! * r + QB[1]!) * r + QB[2]!) * r + QB[3]!) * r + QB[4]!) * r + 1);
  }
  // One Halley step on Φ(x) − p; e/φ(x) is formed as a ratio of tails to avoid under/overflow.
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}

/**
 * Standard normal quantile Φ⁻¹(p).
 * @returns −∞ for p = 0, +∞ for p = 1, NaN outside [0, 1].
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  return p <= 0.5 ? lowerQuantile(p) : -lowerQuantile(1 - p);
}
