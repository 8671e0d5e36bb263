"""Optuna GPSampler suggestion time, for `benchmarks/suggest-speed.ts`.

Usage: python benchmarks/optuna_suggest.py N D [SEED]
Prints one JSON line: {"n": N, "d": D, "cold_s": ..., "fresh_process_cold_s": ..., "early_s": ...,
"warm_s": ..., "warm_all_s": [...], "optuna": version}.

cold = the first ask of a fresh GPSampler on a study pre-filled with N finished trials (the
sampler has no cached GP state), after an identical twin study's first ask has paid torch's lazy
initialization; fresh_process_cold = that twin's first ask (a fresh interpreter, imports done);
early = median of the next 5 asks, each followed by a tell;
warm = median of 5 asks after SETTLE more untimed ask/tell steps (a study that has been running:
the same procedure as the TypeScript side). The objective is the same smooth test function as the
TypeScript side (uniform [0, 1] floats).
"""
import json
import math
import statistics
import sys
import time

import numpy as np
import optuna
from optuna.distributions import FloatDistribution

optuna.logging.set_verbosity(optuna.logging.WARNING)

# Untimed steps between the early and the warm measurement (as in benchmarks/suggest-speed.ts).
SETTLE = 10


def objective_value(x):
    # Matches benchmarks/suggest-speed.ts: objective(x) = −Σ (x_i − 0.3)² + 0.1 Σ sin(5 x_i).
    return float(-sum((v - 0.3) ** 2 for v in x) + 0.1 * sum(math.sin(5 * v) for v in x))


def main():
    n = int(sys.argv[1])
    d = int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    rng = np.random.default_rng(seed)
    distributions = {f"x{i}": FloatDistribution(0.0, 1.0) for i in range(d)}
    trials = []
    for _ in range(n):
        x = rng.random(d)
        params = {f"x{i}": float(x[i]) for i in range(d)}
        trials.append(optuna.trial.create_trial(params=params, distributions=distributions, value=objective_value(x)))

    # The first ask in this interpreter pays torch's one-time lazy initialization: the analogue of
    # memotune's cold step (a fresh process; imports excluded on both sides). Reported as
    # fresh_process_cold_s, on a twin study that is then discarded.
    twin = optuna.create_study(direction="maximize", sampler=optuna.samplers.GPSampler(seed=seed))
    twin.add_trials(trials)
    t0 = time.perf_counter()
    twin.ask(distributions)
    fresh_process_cold = time.perf_counter() - t0

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.GPSampler(seed=seed))
    study.add_trials(trials)

    def ask_tell():
        t0 = time.perf_counter()
        trial = study.ask(distributions)
        elapsed = time.perf_counter() - t0
        x = [trial.params[f"x{i}"] for i in range(d)]
        study.tell(trial, objective_value(x))
        return elapsed

    cold = ask_tell()
    early = [ask_tell() for _ in range(5)]
    for _ in range(SETTLE):
        ask_tell()
    warm = [ask_tell() for _ in range(5)]
    print(
        json.dumps(
            {
                "n": n,
                "d": d,
                "cold_s": cold,
                "fresh_process_cold_s": fresh_process_cold,
                "early_s": statistics.median(early),
                "warm_s": statistics.median(warm),
                "warm_all_s": warm,
                "optuna": optuna.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
