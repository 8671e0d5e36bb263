"""Issue #13's criterion, one Markdown row per spec: EEIPU's mean final best against the best
baseline's (the baseline with the highest mean), the paired difference with its standard error,
and whether EEIPU is at least the best baseline minus one SE; also the evaluations and improvement
ratios against the mean of the baselines (the definitions of src/bench/summary.ts, point estimates).
Standard library only.

Usage: python3 benchmarks/criterion.py REPORT.json [REPORT.json ...]
Each report is a `memotune bench --json` file with eeipu and baselines run on the same seeds;
reports of the same spec name (e.g. seeds 0..9 and 10..29) are merged, runs paired by seed.
"""
import json
import math
import statistics
import sys

BASELINES = ["ms-carbo", "carbo", "eips", "ei"]


def mean_se(values):
    if len(values) < 2:
        return statistics.mean(values), float("nan")
    return statistics.mean(values), statistics.stdev(values) / math.sqrt(len(values))


def main():
    specs = {}
    for path in sys.argv[1:]:
        report = json.load(open(path))
        name = report["spec"]["name"] if isinstance(report.get("spec"), dict) else path
        by_method = specs.setdefault(name, {})
        for run in report["runs"]:
            by_method.setdefault(run["method"], {})[run["seed"]] = run["metrics"]
    if not specs:
        sys.exit("usage: criterion.py REPORT.json [REPORT.json ...]")
    print("| spec | seeds | EEIPU final best | best baseline | EEIPU − best baseline | met | evaluations | improvement |")
    print("|---|---|---|---|---|---|---|---|")
    met_count = 0
    for name, by_method in specs.items():
        eeipu = by_method["eeipu"]
        baselines = [b for b in BASELINES if b in by_method]
        seeds = sorted(s for s in eeipu if all(s in by_method[b] for b in baselines))
        finals = {m: [by_method[m][s]["finalBest"] for s in seeds] for m in ["eeipu", *baselines]}
        best = max(baselines, key=lambda b: statistics.mean(finals[b]))
        diff, se = mean_se([e - b for e, b in zip(finals["eeipu"], finals[best])])
        met = diff >= -se
        met_count += met
        e_mean, e_se = mean_se(finals["eeipu"])
        b_mean, b_se = mean_se(finals[best])

        def ratio(metric):
            mine = statistics.mean(by_method["eeipu"][s][metric] for s in seeds)
            theirs = statistics.mean(statistics.mean(by_method[b][s][metric] for s in seeds) for b in baselines)
            return mine / theirs if theirs != 0 else float("nan")

        print(
            f"| {name} | {len(seeds)} | {e_mean:.3f} ± {e_se:.3f} | {best} {b_mean:.3f} ± {b_se:.3f} "
            f"| {diff:+.3f} ± {se:.3f} | {'yes' if met else '**no**'} "
            f"| ×{ratio('evaluations'):.3f} | ×{ratio('improvement'):.3f} |"
        )
    print(f"\nmet on {met_count} of {len(specs)}")


if __name__ == "__main__":
    main()
