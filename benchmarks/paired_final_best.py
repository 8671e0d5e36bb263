"""EEIPU against each baseline, seed by seed: mean paired difference of a metric with a 95% paired
bootstrap interval and the number of seeds where EEIPU ends higher (standard library only).

Usage: python3 benchmarks/paired_final_best.py REPORT.json [MORE.json ...] [--metric finalBest]
Reports are `memotune bench --json` files of one spec (e.g. seeds 0..9 and 10..29); runs are
paired by seed. Used for the cheap-prefix per-baseline check in docs/benchmarks.md.
"""
import json
import random
import statistics
import sys

BASELINES = ["ms-carbo", "carbo", "eips", "ei"]
RESAMPLES = 5000


def main():
    args = sys.argv[1:]
    metric = "finalBest"
    if "--metric" in args:
        at = args.index("--metric")
        metric = args[at + 1]
        del args[at : at + 2]
    by_method = {}
    for path in args:
        for run in json.load(open(path))["runs"]:
            by_method.setdefault(run["method"], {})[run["seed"]] = run["metrics"]
    seeds = sorted(by_method["eeipu"])
    rng = random.Random(1)
    print(f"{len(seeds)} paired seeds, metric {metric} (EEIPU minus baseline)")
    for baseline in BASELINES:
        if baseline not in by_method:
            continue
        diffs = [by_method["eeipu"][s][metric] - by_method[baseline][s][metric] for s in seeds]
        means = sorted(statistics.mean(rng.choice(diffs) for _ in diffs) for _ in range(RESAMPLES))
        low, high = means[int(0.025 * RESAMPLES)], means[int(0.975 * RESAMPLES) - 1]
        higher = sum(1 for d in diffs if d > 0)
        print(f"vs {baseline:8s} {statistics.mean(diffs):+.3f} [{low:+.3f}, {high:+.3f}]  EEIPU higher in {higher}/{len(seeds)}")


if __name__ == "__main__":
    main()
