#!/usr/bin/env python3
"""Merge-order benchmark (issue 14, item 4): does the weight-error order reach the same codebook size as the
paper's two orders with fewer model runs, and does it hold on data the merge never saw?

For every fixture, configuration and seed it runs `wsc search <model> --data digits_val.npz --no-merge` (population
POP, generations GENS), copies the run once per merge order, merges every front solution with
`wsc merge <copy> --solution i --order <order> --max-evaluations 1000000` (no cap: the uncapped cost is what the
default cap is chosen from), and scores every merged front on the test split (`wsc pareto --data
digits_test.npz --json`), which neither the search nor the merge sees.

Configurations: `default` (the full genome, the bound merge rule, the 30 % selection split: what `wsc search` does)
and `paper` (`--genome k --merge-rule score --select-fraction 0`: K alone, wide codebooks, the paper's rule).

Per solution it records M before and after, the merge evaluations and seconds, and the test score. Per run
(fixture, configuration, seed) and order: total evaluations, total seconds, the sum of M over the front, and the
mean test loss (points) over the front. Summary per fixture and configuration: medians over seeds of those totals,
of the evaluation ratio weight-error / paper, of the M difference, and of the test-loss difference (weight-error
minus paper, points), and the largest single-solution evaluation count (what the default cap must stay above).

  python3 bench/merge_order.py --wsc .build/release/wsc --out bench/merge_order.json [--seeds 1,2,3,4,5]
Standard library only. One wsc process at a time (2 shared cores).
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time

FIX = "Tests/Fixtures"
FIXTURES = {
    "digits_mlp": (f"{FIX}/digits_mlp.onnx", "input=1,64"),
    "lenet": (f"{FIX}/cnn/lenet.onnx", "input=1,1,8,8"),
}
CONFIGS = {
    "default": [],
    "paper": ["--genome", "k", "--merge-rule", "score", "--select-fraction", "0"],
}
ORDERS = ["paper", "weight-error"]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return p


def one_run(wsc, root, name, config, seed, pop, gens):
    model, shape = FIXTURES[name]
    base = os.path.join(root, f"{name}-{config}-s{seed}")
    run([wsc, "search", model, "--data", f"{FIX}/digits_val.npz", "--out", base, "--input-shape", shape,
         "--seed", str(seed), "--population", str(pop), "--generations", str(gens), "--no-merge"] + CONFIGS[config])
    with open(os.path.join(base, "pareto.json")) as f:
        front = json.load(f)["solutions"]
    result = {"seed": seed, "front_size": len(front), "orders": {}}
    for order in ORDERS:
        copy = f"{base}-{order}"
        shutil.copytree(base, copy)
        solutions = []
        for s in front:
            start = time.monotonic()
            p = run([wsc, "merge", copy, "--solution", str(s["id"]), "--order", order,
                     "--max-evaluations", "1000000", "--progress-interval", "1000000", "--json"])
            seconds = time.monotonic() - start
            merged = json.loads(p.stdout)
            solutions.append({"id": s["id"], "k": s["k"], "m_before": s["result"]["m"],
                              "m_after": merged["result"]["m"], "evaluations": merged["mergeEvaluations"],
                              "won": merged["mergeOrder"], "search_score": merged["result"]["score"],
                              "seconds": round(seconds, 3)})
        p = run([wsc, "pareto", copy, "--data", f"{FIX}/digits_test.npz", "--metric", "accuracy", "--json"])
        held = {h["id"]: h for h in json.loads(p.stdout)["heldOut"]}
        for s in solutions:
            s["test_score"] = held[s["id"]]["score"]
            s["test_loss_points"] = round(held[s["id"]]["loss"] * 100, 4)
        result["orders"][order] = {
            "evaluations": sum(s["evaluations"] for s in solutions),
            "seconds": round(sum(s["seconds"] for s in solutions), 2),
            "sum_m": sum(s["m_after"] for s in solutions),
            "mean_test_loss_points": round(statistics.mean(s["test_loss_points"] for s in solutions), 4),
            "solutions": solutions,
        }
    return result


def summarise(runs):
    def med(values):
        return round(statistics.median(values), 4)
    paper = [r["orders"]["paper"] for r in runs]
    proxy = [r["orders"]["weight-error"] for r in runs]
    per_solution_m = [b["m_after"] - a["m_after"] for r in runs
                      for a, b in zip(r["orders"]["paper"]["solutions"], r["orders"]["weight-error"]["solutions"])]
    return {
        "seeds": len(runs),
        "median_evaluations": {"paper": med([o["evaluations"] for o in paper]),
                               "weight-error": med([o["evaluations"] for o in proxy])},
        "median_evaluation_ratio": med([b["evaluations"] / max(a["evaluations"], 1) for a, b in zip(paper, proxy)]),
        "median_seconds": {"paper": med([o["seconds"] for o in paper]), "weight-error": med([o["seconds"] for o in proxy])},
        "median_sum_m": {"paper": med([o["sum_m"] for o in paper]), "weight-error": med([o["sum_m"] for o in proxy])},
        "median_sum_m_difference": med([b["sum_m"] - a["sum_m"] for a, b in zip(paper, proxy)]),
        "solutions_m": {"fewer": sum(d < 0 for d in per_solution_m), "same": sum(d == 0 for d in per_solution_m),
                        "more": sum(d > 0 for d in per_solution_m)},
        "median_mean_test_loss_points": {"paper": med([o["mean_test_loss_points"] for o in paper]),
                                         "weight-error": med([o["mean_test_loss_points"] for o in proxy])},
        "median_test_loss_difference_points": med([b["mean_test_loss_points"] - a["mean_test_loss_points"]
                                                   for a, b in zip(paper, proxy)]),
        "max_solution_evaluations": {"paper": max(s["evaluations"] for o in paper for s in o["solutions"]),
                                     "weight-error": max(s["evaluations"] for o in proxy for s in o["solutions"])},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wsc", default=".build/release/wsc")
    ap.add_argument("--out", default="bench/merge_order.json")
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--population", type=int, default=16)
    ap.add_argument("--generations", type=int, default=6)
    ap.add_argument("--fixtures", default=",".join(FIXTURES))
    ap.add_argument("--configs", default=",".join(CONFIGS))
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    out = {"what": "merge orders: the paper's two (better kept) against weight-error, every front solution, "
                   "scored on the test split the search and merge never saw",
           "settings": {"population": a.population, "generations": a.generations, "seeds": seeds,
                        "search_data": "digits_val.npz", "test_data": "digits_test.npz",
                        "configs": {k: " ".join(v) or "(wsc search defaults)" for k, v in CONFIGS.items()},
                        "patience": "BinMerger.defaultPatience", "cap": "none (--max-evaluations 1000000)"},
           "platform": platform.platform(), "load_average_start": os.getloadavg()[0], "results": {}}
    root = tempfile.mkdtemp(prefix="merge-order-")
    try:
        for name in a.fixtures.split(","):
            for config in a.configs.split(","):
                runs = []
                for seed in seeds:
                    runs.append(one_run(a.wsc, root, name, config, seed, a.population, a.generations))
                    out["results"][f"{name}/{config}"] = {"runs": runs, "summary": summarise(runs)}
                    out["load_average_end"] = os.getloadavg()[0]
                    with open(a.out, "w") as f:
                        json.dump(out, f, indent=1)
                print(name, config, json.dumps(out["results"][f"{name}/{config}"]["summary"]), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
