"""Optuna GPSampler suggestion time, for `benchmarks/suggest-speed.ts`.

Usage: python benchmarks/optuna_suggest.py N D [SEED] [--cold-only]
Prints one JSON line: {"n": N, "d": D, "cold_s": ..., "warm_interpreter_cold_s": ..., "early_s": ...,
"warm_s": ..., "warm_all_s": [...], "modules_loaded_during_cold": [...], "optuna": version}.

cold = the first ask of a fresh GPSampler on a study pre-filled with N finished trials, in this
fresh interpreter with every module that ask uses already imported: exactly what memotune's cold
step is (a fresh Node process, its modules loaded, nothing run yet). GPSampler imports torch,
optuna._gp and scipy.stats lazily inside its first ask (about 2.5 s of imports); they are imported
below, before the clock starts, as memotune's imports are. `modules_loaded_during_cold` lists what
the cold ask still imported (with Optuna 5.0.0: four small standard-library modules), so the
exclusion is visible.
warm_interpreter_cold = the first ask of a second fresh sampler on an identical study right after
that: the sampler is cold (no cached kernel parameters) but the interpreter and torch have run a
whole ask already — a stricter comparison than memotune gets (its cold step has no warm-up run).
early = median of the next 5 asks on that second study, each followed by a tell;
warm = median of 5 asks after SETTLE more untimed ask/tell steps (a study that has been running:
the same procedure as the TypeScript side). --cold-only stops after the cold ask (another fresh-process
sample for the cold median). The objective is the same smooth test function as the
TypeScript side (uniform [0, 1] floats).
"""
import importlib
import json
import math
import statistics
import sys
import time

import numpy as np
import optuna
from optuna.distributions import FloatDistribution

# What GPSampler's first ask would otherwise import lazily (see optuna/samplers/_gp/sampler.py and
# optuna/_gp/search_space.py): imports are start-up, not suggestion time, on both sides.
for module in (
    "torch",
    "scipy.optimize",
    "scipy.stats",
    "scipy.stats.qmc",
    "optuna._gp.acqf",
    "optuna._gp.gp",
    "optuna._gp.optim_mixed",
    "optuna._gp.prior",
    "optuna._gp.search_space",
    "optuna._gp.batched_lbfgsb",
    "torch.utils._device",
    "torch.nested._internal.nested_tensor",
):
    try:
        importlib.import_module(module)
    except ImportError:
        # Private modules move between Optuna versions: whatever is missing here is imported
        # inside the timed ask instead, and shows up in modules_loaded_during_cold.
        pass

optuna.logging.set_verbosity(optuna.logging.WARNING)

# Untimed steps between the early and the warm measurement (as in benchmarks/suggest-speed.ts).
SETTLE = 10


def objective_value(x):
    # Matches benchmarks/suggest-speed.ts: objective(x) = −Σ (x_i − 0.3)² + 0.1 Σ sin(5 x_i).
    return float(-sum((v - 0.3) ** 2 for v in x) + 0.1 * sum(math.sin(5 * v) for v in x))


def main():
    cold_only = "--cold-only" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--cold-only"]
    n = int(args[0])
    d = int(args[1])
    seed = int(args[2]) if len(args) > 2 else 0
    rng = np.random.default_rng(seed)
    distributions = {f"x{i}": FloatDistribution(0.0, 1.0) for i in range(d)}
    trials = []
    for _ in range(n):
        x = rng.random(d)
        params = {f"x{i}": float(x[i]) for i in range(d)}
        trials.append(optuna.trial.create_trial(params=params, distributions=distributions, value=objective_value(x)))

    def prefilled_study():
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.GPSampler(seed=seed))
        study.add_trials(trials)
        return study

    # Cold: the first ask in this interpreter (a worker just restarted), imports done.
    first = prefilled_study()
    modules_before = set(sys.modules)
    t0 = time.perf_counter()
    first.ask(distributions)
    cold = time.perf_counter() - t0
    modules_loaded_during_cold = sorted(set(sys.modules) - modules_before)
    if cold_only:
        print(json.dumps({"n": n, "d": d, "cold_s": cold, "modules_loaded_during_cold": modules_loaded_during_cold}))
        return

    study = prefilled_study()

    def ask_tell():
        t0 = time.perf_counter()
        trial = study.ask(distributions)
        elapsed = time.perf_counter() - t0
        x = [trial.params[f"x{i}"] for i in range(d)]
        study.tell(trial, objective_value(x))
        return elapsed

    warm_interpreter_cold = ask_tell()
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
                "warm_interpreter_cold_s": warm_interpreter_cold,
                "early_s": statistics.median(early),
                "warm_s": statistics.median(warm),
                "warm_all_s": warm,
                "modules_loaded_during_cold": modules_loaded_during_cold,
                "optuna": optuna.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
