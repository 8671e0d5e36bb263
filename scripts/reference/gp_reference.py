#!/usr/bin/env python3
"""Independent reference values for memotune's GP core (src/gp), written to
test/fixtures/gp/reference.json. The TypeScript tests compare against this file and never run
Python.

Run (private venv, git-ignored):
    python3 -m venv .venv-ref && .venv-ref/bin/pip install numpy scipy
    .venv-ref/bin/python scripts/reference/gp_reference.py

Model (shared/docs/eeipu.md, "Models"): Matérn-5/2 ARD kernel with output scale s, constant
mean m, Gaussian noise variance σ², on z-scored targets z = (y − ȳ)/std(y, ddof=1) (std := 1
for n = 1 or constant y). Hyperparameters are in standardized units.

Everything here is plain numpy/scipy written from the textbook formulas (Rasmussen & Williams
2006, eqs. 2.25–2.30, 4.17, 5.9) — dense solves, explicit derivative matrices, scipy's Gamma
log-density, scipy's L-BFGS-B — so it shares no code path with the TypeScript implementation.
Gradients are also checked by central finite differences here.
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
import scipy
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import minimize
from scipy.spatial.distance import cdist
from scipy.stats import gamma

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "fixtures" / "gp" / "reference.json"

PRIORS = {"lengthscale": (3.0, 6.0), "outputScale": (2.0, 0.15), "noise": (1.1, 0.05)}


def matern52(a, b, lengthscales, s):
    r = cdist(a / lengthscales, b / lengthscales, metric="euclidean")
    return s * (1 + math.sqrt(5) * r + 5.0 / 3.0 * r**2) * np.exp(-math.sqrt(5) * r)


def standardize(y):
    y = np.asarray(y, dtype=float)
    mean = float(y.mean())
    std = float(y.std(ddof=1)) if len(y) > 1 else 1.0
    if not std > 1e-13 * float(np.abs(y).max()):
        std = 1.0
    return mean, std, (y - mean) / std


def kernel_matrix(x, ls, s, noise):
    return matern52(x, x, ls, s) + noise * np.eye(len(x))


def lml(x, z, theta, mean):
    """log p(z | θ) for θ = (log ℓ_1..d, log s, log σ²) and mean m, by a dense Cholesky."""
    d = x.shape[1]
    ls, s, noise = np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1])
    k = kernel_matrix(x, ls, s, noise)
    c = cho_factor(k, lower=True)
    r = z - mean
    alpha = cho_solve(c, r)
    return float(-0.5 * r @ alpha - np.log(np.diag(c[0])).sum() - 0.5 * len(z) * math.log(2 * math.pi))


def lml_gradient_analytic(x, z, theta, mean):
    """½ tr((ααᵀ − K⁻¹) ∂K/∂θ_j) with explicit ∂K/∂θ_j matrices and a dense inverse."""
    n, d = x.shape
    ls, s, noise = np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1])
    kf = matern52(x, x, ls, s)
    k = kf + noise * np.eye(n)
    kinv = np.linalg.inv(k)
    alpha = kinv @ (z - mean)
    w = np.outer(alpha, alpha) - kinv
    r = cdist(x / ls, x / ls)
    factor = s * 5.0 / 3.0 * (1 + math.sqrt(5) * r) * np.exp(-math.sqrt(5) * r)
    grad = []
    for i in range(d):
        diff2 = ((x[:, None, i] - x[None, :, i]) / ls[i]) ** 2
        grad.append(0.5 * np.sum(w * factor * diff2))
    grad.append(0.5 * np.sum(w * kf))
    grad.append(0.5 * np.trace(w) * noise)
    grad.append(float(alpha.sum()))
    return np.array(grad)


def lml_gradient_fd(x, z, theta, mean, h=1e-5):
    grad = []
    for j in range(len(theta)):
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        grad.append((lml(x, z, tp, mean) - lml(x, z, tm, mean)) / (2 * h))
    grad.append((lml(x, z, theta, mean + h) - lml(x, z, theta, mean - h)) / (2 * h))
    return np.array(grad)


def profiled_mean(x, z, theta):
    d = x.shape[1]
    k = kernel_matrix(x, np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1]))
    ones = np.ones(len(z))
    return float(ones @ np.linalg.solve(k, z) / (ones @ np.linalg.solve(k, ones)))


def log_prior(theta, d):
    a, b = PRIORS["lengthscale"]
    total = sum(gamma.logpdf(math.exp(t), a, scale=1 / b) for t in theta[:d])
    a, b = PRIORS["outputScale"]
    total += gamma.logpdf(math.exp(theta[d]), a, scale=1 / b)
    a, b = PRIORS["noise"]
    total += gamma.logpdf(math.exp(theta[d + 1]), a, scale=1 / b)
    return float(total)


def log_posterior(x, z, theta):
    """The MAP objective: log p(z | θ, m̂(θ)) + log priors, m̂ the GLS mean."""
    return lml(x, z, theta, profiled_mean(x, z, theta)) + log_prior(theta, x.shape[1])


def posterior(x, y, hp, xq):
    """Latent posterior mean/variance in raw y units."""
    y_mean, y_std, z = standardize(y)
    ls = np.array(hp["lengthscales"])
    k = kernel_matrix(x, ls, hp["outputScale"], hp["noise"])
    ks = matern52(xq, x, ls, hp["outputScale"])
    mu = hp["mean"] + ks @ np.linalg.solve(k, z - hp["mean"])
    var = hp["outputScale"] - np.einsum("ij,ji->i", ks, np.linalg.solve(k, ks.T))
    return y_mean + y_std * mu, np.maximum(var, 0) * y_std**2


def posterior_gradient_fd(x, y, hp, xq, h=1e-6):
    mg, vg = np.zeros_like(xq), np.zeros_like(xq)
    for i in range(xq.shape[1]):
        p, m = xq.copy(), xq.copy()
        p[:, i] += h
        m[:, i] -= h
        mp, vp = posterior(x, y, hp, p)
        mm, vm = posterior(x, y, hp, m)
        mg[:, i] = (mp - mm) / (2 * h)
        vg[:, i] = (vp - vm) / (2 * h)
    return mg, vg


def map_fit(x, z, min_noise=1e-6, starts=12, seed=0):
    """scipy L-BFGS-B on the same box as src/gp, many random starts: a reference optimum."""
    d = x.shape[1]
    bounds = [(math.log(1e-2), math.log(1e2))] * d
    bounds += [(math.log(1e-3), math.log(1e2)), (math.log(min_noise), math.log(max(10.0, min_noise)))]
    rng = np.random.default_rng(seed)
    best = None
    for k in range(starts):
        if k == 0:
            t0 = np.array([math.log(0.5)] * d + [0.0, math.log(1e-3)])
        else:
            t0 = np.array([rng.uniform(lo, hi) for lo, hi in bounds])
        res = minimize(lambda t: -log_posterior(x, z, t), t0, method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    theta = best.x
    return {
        "logPosterior": float(-best.fun),
        "lengthscales": np.exp(theta[:d]).tolist(),
        "outputScale": float(math.exp(theta[d])),
        "noise": float(math.exp(theta[d + 1])),
        "mean": profiled_mean(x, z, theta),
    }


def case(name, x, y, hp, xq, fit=False):
    x, xq, y = np.asarray(x, float), np.asarray(xq, float), np.asarray(y, float)
    d = x.shape[1]
    y_mean, y_std, z = standardize(y)
    theta = np.array([math.log(v) for v in hp["lengthscales"]] + [math.log(hp["outputScale"]), math.log(hp["noise"])])
    g_an = lml_gradient_analytic(x, z, theta, hp["mean"])
    g_fd = lml_gradient_fd(x, z, theta, hp["mean"])
    scale = np.maximum(1.0, np.abs(g_an))
    assert np.all(np.abs(g_an - g_fd) / scale < 1e-5), (name, g_an, g_fd)
    mu, var = posterior(x, y, hp, xq)
    mg, vg = posterior_gradient_fd(x, y, hp, xq)
    out = {
        "name": name,
        "x": x.tolist(),
        "y": y.tolist(),
        "hyperparameters": hp,
        "testPoints": xq.tolist(),
        "yMean": y_mean,
        "yStd": y_std,
        "z": z.tolist(),
        "kernelMatrix": kernel_matrix(x, np.array(hp["lengthscales"]), hp["outputScale"], hp["noise"]).tolist(),
        "logMarginalLikelihood": lml(x, z, theta, hp["mean"]),
        "lmlGradient": g_an.tolist(),
        "lmlGradientFiniteDifference": g_fd.tolist(),
        "profiledMean": profiled_mean(x, z, theta),
        "logPosterior": log_posterior(x, z, theta),
        "predictMean": mu.tolist(),
        "predictVariance": var.tolist(),
        "meanGradient": mg.tolist(),
        "varianceGradient": vg.tolist(),
    }
    if fit:
        out["map"] = map_fit(x, z)
    return out


def main():
    rng = np.random.default_rng(20241105)
    cases = []

    x = rng.uniform(size=(6, 1))
    y = np.sin(6 * x[:, 0]) + 0.1 * rng.normal(size=6)
    cases.append(case("1d-noisy", x, y, {"lengthscales": [0.3], "outputScale": 1.3, "noise": 0.05, "mean": 0.1},
                      rng.uniform(size=(5, 1)), fit=True))

    x = rng.uniform(size=(14, 3))
    y = np.sin(5 * x[:, 0]) + x[:, 1] ** 2 - 0.3 * x[:, 2] + 0.01 * rng.normal(size=14)
    cases.append(case("3d-ard", x, y, {"lengthscales": [0.25, 0.8, 2.5], "outputScale": 0.9, "noise": 1e-3, "mean": -0.2},
                      rng.uniform(size=(6, 3)), fit=True))

    # Fewer points than dimensions.
    x = rng.uniform(size=(3, 5))
    y = np.array([1.0, 2.5, -0.5])
    cases.append(case("n-lt-d", x, y, {"lengthscales": [0.5, 0.7, 1.0, 0.4, 2.0], "outputScale": 1.5, "noise": 1e-4, "mean": 0.0},
                      rng.uniform(size=(4, 5))))

    # Duplicate points with different targets (noise explains the difference).
    x = rng.uniform(size=(7, 2))
    x = np.vstack([x, x[:2]])
    y = np.cos(4 * x[:, 0]) + x[:, 1] + np.array([0, 0, 0, 0, 0, 0, 0, 0.2, -0.1])
    cases.append(case("duplicates", x, y, {"lengthscales": [0.4, 0.6], "outputScale": 1.0, "noise": 0.02, "mean": 0.05},
                      rng.uniform(size=(4, 2)), fit=True))

    # Nearly noiseless 2-D data on a grid-ish design.
    x = rng.uniform(size=(10, 2))
    y = 3 * x[:, 0] - 2 * x[:, 1] ** 2 + 7
    cases.append(case("2d-noiseless", x, y, {"lengthscales": [0.6, 0.5], "outputScale": 2.0, "noise": 1e-8, "mean": 0.0},
                      np.vstack([x[:3], rng.uniform(size=(3, 2))])))

    # Large enough (n ≥ 32) for the WebAssembly Cholesky, inverse and solves in src/gp.
    x = rng.uniform(size=(40, 4))
    y = np.sin(4 * x[:, 0]) * np.cos(3 * x[:, 1]) + 0.5 * x[:, 2] + 0.02 * rng.normal(size=40)
    cases.append(case("4d-n40", x, y, {"lengthscales": [0.3, 0.4, 1.5, 3.0], "outputScale": 1.1, "noise": 2e-3, "mean": 0.0},
                      rng.uniform(size=(13, 4)), fit=True))

    data = {
        "generator": "scripts/reference/gp_reference.py",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": sys.version.split()[0],
        "priors": {k: {"concentration": a, "rate": b} for k, (a, b) in PRIORS.items()},
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
