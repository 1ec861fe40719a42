#!/usr/bin/env python3
"""Medians over seeds of bench/genome.sh's results (standard library only).

One seed decides which corner of a mixed gene space NSGA-II reaches within its budget, and one test sample is
0.28 points, so a fixture's best CR within budget moves from seed to seed — for the K-only search as well as the
full genome. Given bench/genome.sh outputs that differ only in SEED, this writes, per fixture and genome, the best
CR of every seed and their median, and the ratio of the full genome's median to the K-only one's (with the
per-seed ratios and their minimum).

  python3 bench/genome_seeds.py --out bench/genome-seeds.json bench/genome.json bench/genome-seed2.json ...
"""
import argparse
import json
import re
import statistics

from genome import write_result  # bench/genome.py, next to this script


def seed_of(result, path):
    match = re.search(r"\bseed=(\d+)", result.get("settings", ""))
    if not match:
        raise SystemExit(f"{path}: no seed in its settings")
    return int(match.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("inputs", nargs="+", help="bench/genome.sh outputs, one per seed")
    args = ap.parse_args()
    runs = []
    for path in args.inputs:
        with open(path) as f:
            result = json.load(f)
        runs.append((seed_of(result, path), path, result))
    settings = {re.sub(r"\bseed=\d+", "seed=*", r["settings"]) for _, _, r in runs}
    if len(settings) != 1:
        raise SystemExit(f"the inputs differ in more than the seed: {sorted(settings)}")
    if len({s for s, _, _ in runs}) != len(runs):
        raise SystemExit("two inputs have the same seed")

    fixtures = {}
    names = sorted(set().union(*(r["fixtures"].keys() for _, _, r in runs)))
    for name in names:
        entry = {"per_seed": {}}
        for genome in ("k", "full"):
            crs = []
            for seed, _, result in sorted(runs):
                best = result["fixtures"].get(name, {}).get(genome, {}).get("best_within_budget")
                if best:
                    crs.append(best["compression_ratio_fixed"])
                    entry["per_seed"].setdefault(str(seed), {})[genome] = best["compression_ratio_fixed"]
            if crs:
                entry[genome] = {"median_cr": statistics.median(crs), "seeds": len(crs)}
        ratios = [v["full"] / v["k"] for v in entry["per_seed"].values() if "k" in v and "full" in v]
        if "k" in entry and "full" in entry:
            entry["median_cr_ratio_full_to_k"] = entry["full"]["median_cr"] / entry["k"]["median_cr"]
            entry["min_seed_ratio"] = min(ratios, default=None)
        fixtures[name] = entry

    result = {
        "seeds": sorted(s for s, _, _ in runs),
        "inputs": [p for _, p, _ in sorted(runs)],
        "settings": settings.pop(),
        "budget": runs[0][2]["budget"],
        "fixtures": fixtures,
    }
    write_result(result, args.out)


if __name__ == "__main__":
    main()
