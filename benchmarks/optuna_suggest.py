"""Optuna GPSampler suggestion time, for `benchmarks/suggest-speed.ts`, on one thread.

  python benchmarks/optuna_suggest.py --serve N D [SEED]
      A running study: N finished trials, then one line on stdin per timed step ("step"), answered
      by one JSON line {"s": seconds} after an ask and a tell; "quit" ends it. The first SETTLE
      asks run untimed before "ready" is printed (the sampler's kernel-parameter cache and the
      interpreter are warm, as in a study that has been running). Every ask is GPSampler's normal
      one: it refits the GP's kernel parameters, warm-started from the previous ask's.
  python benchmarks/optuna_suggest.py --cold N D [SEED]
      One JSON line {"s": seconds, "modules_loaded_during_ask": [...]}: the first ask of a fresh
      sampler on a study pre-filled with N finished trials, in this fresh interpreter, with every
      module that ask imports lazily (torch, optuna._gp, scipy.stats) imported before the clock
      starts, as memotune's modules are loaded before its cold step. It fits the GP from its
      default kernel parameters.

One thread, as memotune's suggest uses one: OMP_NUM_THREADS, MKL_NUM_THREADS and
OPENBLAS_NUM_THREADS are set to 1 before numpy and torch load, and torch.set_num_threads(1) /
set_num_interop_threads(1) right after torch loads (GPSampler also limits torch's intra-op threads
to 1 inside its ask). The objective is the same smooth test function as the TypeScript side
(uniform [0, 1] floats).
"""
import os

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_variable] = "1"

import importlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

import numpy as np  # noqa: E402
import optuna  # noqa: E402
from optuna.distributions import FloatDistribution  # noqa: E402

# What GPSampler's first ask would otherwise import lazily (optuna/samplers/_gp/sampler.py,
# optuna/_gp/search_space.py): imports are start-up, not suggestion time, on both sides.
for module in (
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
        # inside the timed ask instead, and shows up in modules_loaded_during_ask.
        pass

optuna.logging.set_verbosity(optuna.logging.WARNING)

# Untimed asks of a --serve study before the timed ones (as in benchmarks/suggest-speed.ts).
SETTLE = 3


def objective_value(x):
    # Matches benchmarks/suggest-speed.ts: objective(x) = −Σ (x_i − 0.3)² + 0.1 Σ sin(5 x_i).
    return float(-sum((v - 0.3) ** 2 for v in x) + 0.1 * sum(math.sin(5 * v) for v in x))


def prefilled_study(n, d, seed):
    rng = np.random.default_rng(seed)
    distributions = {f"x{i}": FloatDistribution(0.0, 1.0) for i in range(d)}
    trials = []
    for _ in range(n):
        x = rng.random(d)
        params = {f"x{i}": float(x[i]) for i in range(d)}
        trials.append(optuna.trial.create_trial(params=params, distributions=distributions, value=objective_value(x)))
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.GPSampler(seed=seed))
    study.add_trials(trials)
    return study, distributions


def emit(record):
    print(json.dumps(record), flush=True)


def main():
    mode = sys.argv[1]
    n = int(sys.argv[2])
    d = int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    study, distributions = prefilled_study(n, d, seed)

    if mode == "--cold":
        modules_before = set(sys.modules)
        t0 = time.perf_counter()
        study.ask(distributions)
        seconds = time.perf_counter() - t0
        emit({"s": seconds, "modules_loaded_during_ask": sorted(set(sys.modules) - modules_before)})
        return

    def ask_tell():
        t0 = time.perf_counter()
        trial = study.ask(distributions)
        seconds = time.perf_counter() - t0
        study.tell(trial, objective_value([trial.params[f"x{i}"] for i in range(d)]))
        return seconds

    for _ in range(SETTLE):
        ask_tell()
    emit({"ready": True, "optuna": optuna.__version__, "torch": torch.__version__, "threads": torch.get_num_threads()})
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            return
        if command != "step":
            raise ValueError(f"unknown command {command!r}")
        emit({"s": ask_tell()})


if __name__ == "__main__":
    main()
