#!/usr/bin/env python3
"""Selection benchmark (issue 13): does the default `wsc search -> wsc compile` hold on data it never saw?

For every classifier fixture and seed, and for each search metric asked for (default: accuracy, the default
metric), it runs `wsc search <model> --data digits_val.npz --metric <m>` with every other option at its default
(population 100, 30 generations; --population/--generations or POP/GENS reduce them), then `wsc compile <run>` with
no choice options (max-loss 1 point, confidence 0.90, transfer bound, chosen on the 30 % selection split), then scores every front solution on the test split
(`wsc pareto --data digits_test.npz --metric accuracy --json`; cosine for the autoencoder). The test split is never
seen by the search, the merge or the choice.

Per run it records the chosen solution, its test loss (points), its weight CR (fixed width), and the best CR on
that run's front among solutions that hold on test (test loss <= 1 point; cosine >= 0.99), and the same for the
CR of the search's size objective (cr_objective: the front's packed bytes, coded with `--index-coding auto`) and
the packed bytes of the compiled file. Per fixture and metric:
pass rate (loss <= 1 point), median and range of the test loss, median and minimum of CR / best holding CR, and
how often that ratio is >= 0.9. Writes JSON after every run, so a long run can be read while it goes.

  python3 bench/selection.py --wsc .build-bench/release/wsc --out bench/selection.json [--metrics accuracy,agreement]
  python3 bench/selection.py --finalise IN OUT     # recompute the summaries of a (partial) result
  python3 bench/selection.py --wsc W --recompile OLD.json --out NEW.json  # same searches, choice made again
  python3 bench/selection.py --table bench/selection.json   # the markdown table of bench/README.md
Standard library only. Runs one search at a time (2 shared cores).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

FIX = "Tests/Fixtures"
CLASSIFIERS = [
    ("digits_mlp", f"{FIX}/digits_mlp.onnx", "input=1,64"),
    ("lenet", f"{FIX}/cnn/lenet.onnx", "input=1,1,8,8"),
    ("resnet", f"{FIX}/cnn/resnet.onnx", "input=1,1,8,8"),
    ("mobilenet", f"{FIX}/cnn/mobilenet.onnx", "input=1,1,8,8"),
    ("resnet_folded", f"{FIX}/folded/resnet_folded.onnx", "input=1,1,8,8"),
    ("repvgg", f"{FIX}/folded/repvgg.onnx", "input=1,1,8,8"),
]
AUTOENCODER = ("autoencoder", f"{FIX}/folded/autoencoder.onnx", "input=1,64")


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return p


def one(wsc, runs, name, model, shape, metric, seed, pop, gens, test_metric, holds, recompile=None, extra=()):
    run_dir = os.path.join(runs, f"{name}-{metric}-s{seed}")
    if recompile is None:
        subprocess.run(["rm", "-rf", run_dir])
        t0 = time.time()
        run([wsc, "search", model, "--data", f"{FIX}/digits_val.npz", "--out", run_dir, "--input-shape", shape,
             "--metric", metric, "--seed", str(seed), "--population", str(pop), "--generations", str(gens), *extra])
        search_s = time.time() - t0
    else:
        # --recompile: the stored search of this run, chosen again by the current compile.
        search_s = recompile["search_seconds"]
    c = run([wsc, "compile", run_dir, "-o", os.path.join(run_dir, "out"), "--json"])
    compiled = json.loads(c.stdout)
    warning = [l for l in c.stderr.splitlines() if l.startswith("warning:")]
    p = run([wsc, "pareto", run_dir, "--data", f"{FIX}/digits_test.npz", "--metric", test_metric, "--json"])
    pareto = json.loads(p.stdout)
    front = pareto["front"]["solutions"]
    test = {h["id"]: h for h in pareto["heldOut"]}
    chosen = compiled["solution"]
    holding = [s for s in front if holds(test[s["id"]])]
    best_holding = max((s["result"]["compressionRatioFixed"] for s in holding), default=None)
    cr = compiled["compressionRatioFixed"]
    # The CR of the search's size objective: float weight bytes over the packed bytes the front reports (fixed-width
    # indices, or coded with `search --index-coding auto`: what racing and compile's choice compare).
    float_bytes = 4 * compiled["sharedWeights"]
    objective = lambda s: float_bytes / s["result"]["packedWeightBytes"]
    best_objective = max((objective(s) for s in holding), default=None)
    cr_objective = objective(next(s for s in front if s["id"] == chosen))
    t = test[chosen]
    return {
        "seed": seed, "search_seconds": round(search_s, 1), "front_size": len(front),
        "chosen": chosen, "chosen_bits": compiled["bitWidth"], "cr_fixed": round(cr, 3),
        "test_score": round(t["score"], 6), "test_loss_points": round(t["loss"] * 100, 3),
        "test_float_score": round(pareto["heldOutFloatScore"], 6),
        "selection_loss_points": round(compiled["choice"]["loss"] * 100, 3),
        "selection_upper_points": round(compiled["choice"]["lossUpper"] * 100, 3),
        "selection_threshold_points": round(compiled["choice"]["threshold"] * 100, 3),
        "selection_samples": compiled["choice"]["samples"],
        "search_loss_points": round(compiled["lossPoints"], 3),
        "best_holding_cr_fixed": None if best_holding is None else round(best_holding, 3),
        "cr_ratio": None if not best_holding else round(cr / best_holding, 4),
        "cr_objective": round(cr_objective, 3),
        "best_holding_cr_objective": None if best_objective is None else round(best_objective, 3),
        "cr_objective_ratio": None if not best_objective else round(cr_objective / best_objective, 4),
        "file_packed_bytes": compiled["packedWeightBytes"], "file_wsm_bytes": compiled["wsmBytes"],
        "holds": holds(t), "warning": warning[0] if warning else None,
        # Every front solution's figures, so other choice rules can be replayed without searching again.
        "front": [{"id": s["id"], "bits": s["result"]["bitWidth"], "cr_fixed": round(s["result"]["compressionRatioFixed"], 3),
                   "packed_bytes": s["result"]["packedWeightBytes"],
                   "search_loss_points": round(s["result"]["loss"] * 100, 3),
                   "selection_loss_points": round(s["selection"]["loss"] * 100, 3) if s.get("selection") else None,
                   "selection_upper_points": round(s["selection"]["lossUpper"] * 100, 3) if s.get("selection") else None,
                   "test_loss_points": round(test[s["id"]]["loss"] * 100, 3)} for s in front],
    }


def summarise(runs, ratio_target=0.9):
    losses = [r["test_loss_points"] for r in runs]
    ratios = [r["cr_ratio"] for r in runs if r["cr_ratio"] is not None]
    crs = [r["cr_fixed"] for r in runs]
    return {
        "runs": len(runs),
        "pass_rate_loss_le_1pt": round(sum(r["holds"] for r in runs) / len(runs), 3),
        "test_loss_points_median": round(statistics.median(losses), 3),
        "test_loss_points_min_max": [min(losses), max(losses)],
        "cr_fixed_median": round(statistics.median(crs), 3),
        "cr_fixed_min_max": [min(crs), max(crs)],
        "cr_ratio_median": round(statistics.median(ratios), 4) if ratios else None,
        "cr_ratio_min": min(ratios) if ratios else None,
        "cr_ratio_ge_0_9_rate": round(sum(x >= ratio_target for x in ratios) / len(ratios), 3) if ratios else None,
        **objective_summary(runs, ratio_target),
    }


def objective_summary(runs, ratio_target):
    """The same size figures for the CR of the search's size objective (results made before it was recorded have
    none)."""
    ratios = [r["cr_objective_ratio"] for r in runs if r.get("cr_objective_ratio") is not None]
    if not ratios:
        return {}
    return {
        "cr_objective_median": round(statistics.median(r["cr_objective"] for r in runs), 3),
        "cr_objective_ratio_median": round(statistics.median(ratios), 4),
        "cr_objective_ratio_min": min(ratios),
        "cr_objective_ratio_ge_0_9_rate": round(sum(x >= ratio_target for x in ratios) / len(ratios), 3),
        "file_packed_bytes_median": statistics.median(r["file_packed_bytes"] for r in runs),
    }


def finalise(result):
    """Per fixture and metric summaries, and every classifier run of a search metric pooled (the acceptance
    counts runs, not fixtures)."""
    pooled = {}
    for name, entry in result["fixtures"].items():
        for m, block in entry.items():
            if block["runs"]:
                block["summary"] = summarise(block["runs"])
                if name != AUTOENCODER[0]:
                    pooled.setdefault(m, []).extend(block["runs"])
    result["totals"] = {m: summarise(runs) for m, runs in pooled.items()}


def table(path):
    """A markdown table of a finished benchmark (bench/README.md, README.md)."""
    with open(path) as f:
        result = json.load(f)
    print("| fixture | search metric | runs | test loss <= 1 pt | test loss pts, median [min, max] | CR fixed, median "
          "[min, max] | CR / best holding CR, median [min] | ratio >= 0.9 | objective CR / best holding, median "
          "[min] | ratio >= 0.9 |")
    print("|---|---|---|---|---|---|---|---|---|---|")

    def objective(s):
        if "cr_objective_ratio_median" not in s:
            return "| – | – |"
        return (f"| {s['cr_objective_ratio_median']:.2f} [{s['cr_objective_ratio_min']:.2f}] | "
                f"{s['cr_objective_ratio_ge_0_9_rate'] * 100:.0f} % |")
    for name, entry in result["fixtures"].items():
        for metric, block in entry.items():
            s = block.get("summary")
            if not s:
                continue
            errors = len(block.get("errors", []))
            print(f"| {name} | {metric} | {s['runs']}{f' (+{errors} failed)' if errors else ''} | "
                  f"{s['pass_rate_loss_le_1pt'] * 100:.0f} % | {s['test_loss_points_median']:.2f} "
                  f"[{s['test_loss_points_min_max'][0]:.2f}, {s['test_loss_points_min_max'][1]:.2f}] | "
                  f"{s['cr_fixed_median']:.2f} [{s['cr_fixed_min_max'][0]:.2f}, {s['cr_fixed_min_max'][1]:.2f}] | "
                  f"{s['cr_ratio_median']:.2f} [{s['cr_ratio_min']:.2f}] | {s['cr_ratio_ge_0_9_rate'] * 100:.0f} % "
                  + objective(s))
    for metric, totals in result.get("totals", {}).items():
        print(f"| all classifiers | {metric} | {totals['runs']} | {totals['pass_rate_loss_le_1pt'] * 100:.0f} % | "
              f"{totals['test_loss_points_median']:.2f} | | {totals['cr_ratio_median']:.2f} [{totals['cr_ratio_min']:.2f}] | "
              f"{totals['cr_ratio_ge_0_9_rate'] * 100:.0f} % " + objective(totals))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--table":
        return table(sys.argv[2])
    if len(sys.argv) == 4 and sys.argv[1] == "--finalise":  # --finalise IN OUT: summaries again
        with open(sys.argv[2]) as f:
            result = json.load(f)
        finalise(result)
        with open(sys.argv[3], "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsc", required=True)
    ap.add_argument("--out", default="bench/selection.json")
    ap.add_argument("--runs", default=".build-bench/selection-runs")
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--metrics", default="accuracy", help="search metrics compared on the classifiers")
    ap.add_argument("--population", type=int, default=int(os.environ.get("POP", 100)))
    ap.add_argument("--generations", type=int, default=int(os.environ.get("GENS", 30)))
    ap.add_argument("--only", default="", help="comma-separated fixture names")
    ap.add_argument("--search-args", default="", help="more `wsc search` options, space-separated (an experiment: "
                    "e.g. --select-fraction 0.5); recorded in the settings")
    ap.add_argument("--recompile", help="a previous result: keep its searches (run folders under --runs), run "
                    "compile and the test scoring again with --wsc (after a change of the choice rule)")
    args = ap.parse_args()
    previous = {}
    if args.recompile:
        with open(args.recompile) as f:
            old = json.load(f)
        for name, entry in old["fixtures"].items():
            for m, block in entry.items():
                for r in block["runs"]:
                    previous[(name, m, r["seed"])] = r
    os.makedirs(args.runs, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    metrics = args.metrics.split(",")
    only = set(filter(None, args.only.split(",")))
    result = {
        "what": "default wsc search -> wsc compile (issue 13), judged on the test split the search never saw",
        "settings": {"population": args.population, "generations": args.generations, "seeds": seeds,
                     "search_data": "digits_val.npz (360; 30 % selection split by default)",
                     "test_data": "digits_test.npz (360)", "compile": "defaults: --max-loss 1 --confidence 0.90 --bound transfer",
                     "holds": "test accuracy loss <= 1 point (classifiers); test cosine >= 0.99 (autoencoder)",
                     "size": "cr_* = float weight bytes / size: cr_fixed the paper's fixed-width CR, cr_objective "
                             "the front's packed bytes (the search's size objective); file_packed_bytes: the compiled "
                             "file's (indices coded as compile writes them)",
                     "search_args": args.search_args},
        "load_average_start": os.getloadavg()[0],
        "fixtures": {},
    }

    def save():
        finalise(result)
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")

    started = time.time()
    acc_holds = lambda t: t["loss"] * 100 <= 1.0 + 1e-9
    cos_holds = lambda t: t["score"] >= 0.99
    jobs = []
    for seed in seeds:
        for name, model, shape in CLASSIFIERS:
            for m in metrics:
                jobs.append((name, model, shape, m, seed, "accuracy", acc_holds))
        jobs.append((*AUTOENCODER, "cosine", seed, "cosine", cos_holds))
    for name, model, shape, m, seed, test_metric, holds in jobs:
        if only and name not in only:
            continue
        block = result["fixtures"].setdefault(name, {}).setdefault(m, {"runs": []})
        if args.recompile and (name, m, seed) not in previous:
            continue
        try:
            r = one(args.wsc, args.runs, name, model, shape, m, seed, args.population, args.generations,
                    test_metric, holds, recompile=previous.get((name, m, seed)) if args.recompile else None,
                    extra=args.search_args.split())
        except RuntimeError as e:
            block.setdefault("errors", []).append({"seed": seed, "error": str(e)[-600:]})
            print(f"{name} {m} seed {seed}: ERROR {e}", file=sys.stderr)
            save()
            continue
        block["runs"].append(r)
        print(f"{name} {m} seed {seed}: chose #{r['chosen']} {r['chosen_bits']}-bit CR {r['cr_fixed']} test loss "
              f"{r['test_loss_points']} pts ratio {r['cr_ratio']} ({r['search_seconds']} s)", file=sys.stderr)
        save()
    if args.recompile:
        result["recompiled_from"] = "searches of an earlier run of this script (same settings), compiled again"
    result["load_average_end"] = os.getloadavg()[0]
    result["wall_seconds"] = round(time.time() - started, 1)
    save()


if __name__ == "__main__":
    main()
