/**
 * Speed figures of the GP core: `node bin/run-ts.js scripts/reference/gp-speed.ts [--quick]`.
 * Times Cholesky (own typed-array code vs ml-matrix), cold and warm fits, batch prediction as
 * the acquisition uses it (512 points × 11 prefixes) and single-point predictWithGradient.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { GaussianProcess } from '../../src/gp/index.js';
import { cholesky, createWasmKernels } from '../../src/linalg/index.js';
import { mulberry32 } from '../../src/random/index.js';

const quick = process.argv.includes('--quick');

function dataset(n: number, d: number, seed: number): { x: number[][]; y: number[] } {
  const random = mulberry32(seed);
  const x = Array.from({ length: n }, () => Array.from({ length: d }, random));
  // A smooth function of the first dimensions plus a little noise.
  const y = x.map(
    (p) =>
      Math.sin(5 * p[0]!) +
      (p[1] ?? 0) ** 2 -
      0.5 * (p[2] ?? 0) +
      Math.cos(3 * (p[3] ?? 0) * (p[4] ?? 0)) +
      0.01 * (random() - 0.5),
  );
  return { x, y };
}

// Wall time and this process's CPU time: the machine is shared, so CPU time is the steadier figure.
function report(label: string, wallMs: number, cpuMs: number, extra = ''): void {
  console.log(
    `${label.padEnd(50)} ${wallMs.toFixed(1).padStart(9)} ms wall ${cpuMs.toFixed(1).padStart(9)} ms cpu${extra}`,
  );
}

function time<T>(label: string, f: () => T, repeats = 1): T {
  let result: T = f();
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (let r = 0; r < repeats; r++) result = f();
  const used = process.cpuUsage(cpu);
  report(label, (performance.now() - start) / repeats, (used.user + used.system) / 1000 / repeats);
  return result;
}

function timeOnce<T>(label: string, f: () => T, extra?: (result: T) => string): T {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const result = f();
  const used = process.cpuUsage(cpu);
  report(label, performance.now() - start, (used.user + used.system) / 1000, extra?.(result));
  return result;
}

const info = (gp: GaussianProcess): string =>
  gp.fitInfo === undefined
    ? ''
    : `  (${gp.fitInfo.evaluations} evaluations, ${gp.fitInfo.startsOptimized} starts optimized, fit on ${gp.fitInfo.fitPoints} points)`;

// Cholesky n = 1000 of a Matérn kernel matrix.
{
  const n = 1000;
  const { x } = dataset(n, 20, 1);
  const gp = GaussianProcess.fromHyperparameters(x, new Array<number>(n).fill(0), {
    lengthscales: new Array<number>(20).fill(0.8),
    outputScale: 1,
    noise: 1e-4,
    mean: 0,
  });
  void gp;
  const a = new Float64Array(n * n);
  const random = mulberry32(2);
  const b = Array.from({ length: n }, () => Array.from({ length: n }, () => random() - 0.5));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += b[i]![k]! * b[j]![k]!;
      if (i === j) s += n;
      a[i * n + j] = s;
      a[j * n + i] = s;
    }
  }
  time('cholesky n=1000 (own, JS typed arrays)', () => cholesky(a, n), quick ? 1 : 3);
  const kernels = createWasmKernels(n * n);
  if (kernels !== null) {
    time(
      'cholesky n=1000 (own, WebAssembly SIMD, with copy-in)',
      () => {
        kernels.heap.set(a, 0);
        return kernels.cholesky(0, n, 0);
      },
      quick ? 1 : 3,
    );
  }
  const m = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m.set(i, j, a[i * n + j]!);
  timeOnce('cholesky n=1000 (ml-matrix)', () => new CholeskyDecomposition(m));
}

function fitFigures(n: number, d: number): void {
  const { x, y } = dataset(n + 1, d, 10 + n + d);
  const xPrev = x.slice(0, n);
  const yPrev = y.slice(0, n);
  const previous = timeOnce(
    `fit cold    n=${n} d=${d} (previous iteration)`,
    () => GaussianProcess.fit(xPrev, yPrev),
    info,
  );
  const cold = timeOnce(`fit cold    n=${n + 1} d=${d}`, () => GaussianProcess.fit(x, y), info);
  const warm = timeOnce(
    `fit warm    n=${n + 1} d=${d}`,
    () => GaussianProcess.fit(x, y, { warmStart: previous.hyperparameters }),
    info,
  );
  time(
    `fit warm    n=${n + 1} d=${d} (mean of 3 repeats)`,
    () => GaussianProcess.fit(x, y, { warmStart: previous.hyperparameters }),
    3,
  );
  time(`condition  n=${n + 1} d=${d} (fromHyperparameters)`, () =>
    GaussianProcess.fromHyperparameters(x, y, warm.hyperparameters),
  );
  console.log(
    `  log marginal likelihood: cold ${cold.logMarginalLikelihood().toFixed(3)}, warm ${warm
      .logMarginalLikelihood()
      .toFixed(3)}`,
  );
  const queries = Array.from({ length: 512 }, (_, i) => x[i % x.length]!.map((v, j) => (v + 0.37 * (j + 1)) % 1));
  time(`predict 512×11 points n=${n + 1} d=${d}`, () => {
    let sum = 0;
    for (let prefix = 0; prefix < 11; prefix++) sum += warm.predict(queries).variance[0]!;
    return sum;
  });
  time(`predictWithGradient ×1000 n=${n + 1} d=${d}`, () => {
    let sum = 0;
    for (let r = 0; r < 1000; r++) sum += warm.predictWithGradient(queries[r % 512]!).variance;
    return sum;
  });
  time(`extend by one point n=${n + 1} d=${d}`, () => warm.extend(queries[0]!, 0.5));
}

fitFigures(100, 7);
if (!quick) fitFigures(1000, 20);
