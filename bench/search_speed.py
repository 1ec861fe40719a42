#!/usr/bin/env python3
"""Issue 14's search-speed acceptance benchmark: `wsc search` against the paper's method in Python, side by side.

Runs, in one invocation and interleaved round by round (so a change of machine load hits both alike):
- `wsc search MODEL --data DATA --genome k --metric accuracy --select-fraction 0 --no-merge --front pareto
  --population P --generations G --seed S --k-min A --k-max B` (the paper's genome, every sample scored by
  NSGA-II, no merge);
- `bench/paper_baseline.py` (uniform binning + pymoo NSGA-II + onnxruntime on the batch) with the same model,
  data, population, generations, seed and K range, once per `--variants` entry, SESSION[:THREADS] (`inputs`: one
  onnxruntime session, the shared weights fed as inputs; `rebuild`: a new session per candidate from the modified
  model; THREADS: onnxruntime's intra-op threads, absent = its default pool, whose spinning threads compete with
  pymoo for 2 cores: one thread is the faster baseline here).

What is timed, per run:
- `search_seconds`: the search loop alone. wsc: from its first progress line ("model …: float accuracy …",
  printed right before the initial population is scored) to its last generation line ("gen G/G"), both stamped
  as they arrive on stderr: initial population, G generations, their evaluations and the checkpoint wsc writes
  after each generation. Not timed: model import and lowering, data loading, the float model's run, the report,
  pareto.json/.csv/.svg; the merge is disabled (`--no-merge`). Python: the wall time of pymoo's `minimize`
  (the same steps: initial population, G generations, evaluations); model loading, session creation and the float
  model's run are not in it.
- `process_seconds`: the whole process, start to exit (interpreter start and imports included for Python);
  `process_cpu_seconds`: its CPU time, user + system over all threads (wsc scores on every core; onnxruntime uses
  its own thread pool; pymoo runs on one) — less sensitive to other jobs than wall time, but not what is compared.
- `model_evaluations`: candidates actually run through the model. Both sides cache by candidate (wsc by encoding,
  which for the K genome is by K; Python by K), so a K proposed again is not counted again. wsc:
  `runtimeEvaluations` of pareto.json (= the runtime count of the last generation line; no merge evaluations).
- `evaluations_per_second` = model_evaluations / search_seconds. The statistic is the median over the runs.

`ratio` = wsc's median evaluations/s ÷ the Python variant's; `ratio_to_fastest_python` uses the fastest variant.
Both NSGA-II implementations are seeded but use different random streams, so they propose different K and run
different numbers of evaluations; evaluations per second is what is compared.

Sanity check (`front_check`): every K wsc scored (the memo of its checkpoint: K and objectives) is scored again by
the Python evaluator; M, the packed bytes and the accuracy must agree (accuracy within one sample: onnxruntime
and the C runtime sum in different orders, so a sample whose top two classes nearly tie could flip). The fronts of
both sides are listed next to each other.

Needs: the wsc release binary, and a Python with numpy, onnx, onnxruntime, pymoo (bench/search_speed.sh makes
the venv and builds wsc). Writes `--out` (default bench/search_speed.json) and prints it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def timed_process(cmd: list[str], env: dict | None = None) -> dict:
    """Runs cmd; returns stdout, stderr lines with arrival times (seconds from start), the wall time, the code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    out: list[str] = []
    err: list[tuple[float, str]] = []

    def read_out():
        out.append(proc.stdout.read())

    def read_err():
        for line in proc.stderr:
            err.append((time.perf_counter() - start, line.rstrip("\n")))

    threads = [threading.Thread(target=read_out), threading.Thread(target=read_err)]
    for t in threads:
        t.start()
    # wait4 also gives the child's CPU time (user + system, all its threads).
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    for t in threads:
        t.join()
    if code != 0:
        sys.stderr.write("".join(l + "\n" for _, l in err))
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {code}")
    return {"stdout": "".join(out), "stderr": err, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime}


def run_wsc(args, scratch: str, index: int) -> dict:
    out_dir = os.path.join(scratch, f"wsc-run-{index}")
    shutil.rmtree(out_dir, ignore_errors=True)
    cmd = [args.wsc, "search", args.model, "--data", args.data, "--out", out_dir,
           "--input-shape", args.input_shape, "--metric", "accuracy", "--genome", "k",
           "--population", str(args.population), "--generations", str(args.generations), "--seed", str(args.seed),
           "--k-min", str(args.k_min), "--k-max", str(args.k_max),
           "--select-fraction", "0", "--no-merge", "--front", "pareto", "--json"]
    before = loadavg()
    p = timed_process(cmd)
    after = loadavg()
    report = json.loads(p["stdout"])
    # The first line is printed right before the initial population is scored; "gen G/G …" after the last
    # generation (matched loosely, so added fields such as elapsed time do not break the parse).
    start = next(t for t, line in p["stderr"] if line.startswith("model "))
    gens = [(t, line) for t, line in p["stderr"]
            if (m := re.match(r"\s*gen\s+(\d+)\s*/\s*(\d+)", line)) and int(m.group(1)) == args.generations]
    if not gens:
        raise SystemExit(f"wsc printed no 'gen {args.generations}/{args.generations}' line:\n"
                         + "\n".join(l for _, l in p["stderr"]))
    end, line = gens[-1]
    counted = re.search(r"\(runtime\s+(\d+)\)", line)
    if counted and int(counted.group(1)) != report["runtimeEvaluations"]:
        raise SystemExit(f"wsc: runtime evaluations {counted.group(1)} in the last generation line but "
                         f"{report['runtimeEvaluations']} in pareto.json (a merge or selection scoring ran?)")
    if report["samples"] != args.samples:
        raise SystemExit(f"wsc scored {report['samples']} samples, the data holds {args.samples}")
    search = end - start
    return {"command": " ".join(cmd), "out": out_dir, "report": report,
            "run": {"search_seconds": round(search, 4), "process_seconds": round(p["wall"], 4),
                    "process_cpu_seconds": round(p["cpu"], 4),
                    "model_evaluations": report["runtimeEvaluations"],
                    "distinct_genomes": report["evaluations"],
                    "evaluations_per_second": round(report["runtimeEvaluations"] / search, 2),
                    "load_before": before, "load_after": after}}


def run_python(args, variant: str) -> dict:
    session, _, threads = variant.partition(":")
    cmd = [args.python, os.path.join("bench", "paper_baseline.py"), args.model, "--data", args.data,
           "--population", str(args.population), "--generations", str(args.generations), "--seed", str(args.seed),
           "--k-min", str(args.k_min), "--k-max", str(args.k_max), "--session", session]
    if threads:
        cmd += ["--threads", threads]
    before = loadavg()
    p = timed_process(cmd)
    after = loadavg()
    r = json.loads(p["stdout"])
    if r["samples"] != args.samples:
        raise SystemExit(f"the baseline scored {r['samples']} samples, the data holds {args.samples}")
    return {"command": " ".join(cmd), "report": r,
            "run": {"search_seconds": round(r["search_seconds"], 4), "process_seconds": round(p["wall"], 4),
                    "process_cpu_seconds": round(p["cpu"], 4),
                    "model_evaluations": r["model_evaluations"], "pymoo_evaluations": r["pymoo_evaluations"],
                    "evaluate_seconds": round(r["evaluate_seconds"], 4),
                    "evaluations_per_second": round(r["evaluations_per_second"], 2),
                    "load_before": before, "load_after": after}}


def summarise(runs: list[dict]) -> dict:
    med = lambda key: statistics.median(r[key] for r in runs)
    s = {"median_search_seconds": round(med("search_seconds"), 4),
         "median_process_seconds": round(med("process_seconds"), 4),
         "model_evaluations": sorted({r["model_evaluations"] for r in runs}),
         "median_evaluations_per_second": round(med("evaluations_per_second"), 2),
         "median_evaluations_per_process_second": round(
             statistics.median(r["model_evaluations"] / r["process_seconds"] for r in runs), 2),
         "median_process_cpu_seconds": round(med("process_cpu_seconds"), 4),
         "median_seconds_per_evaluation": round(
             statistics.median(r["search_seconds"] / r["model_evaluations"] for r in runs), 6)}
    if "evaluate_seconds" in runs[0]:
        # Time inside the problem's evaluate (binning + onnxruntime, cache hits included); the rest is pymoo.
        s["median_evaluate_seconds"] = round(med("evaluate_seconds"), 4)
        s["median_evaluator_only_evaluations_per_second"] = round(
            statistics.median(r["model_evaluations"] / r["evaluate_seconds"] for r in runs), 2)
        s["median_optimizer_share_of_search"] = round(
            statistics.median(1 - r["evaluate_seconds"] / r["search_seconds"] for r in runs), 3)
    s["runs"] = runs
    return s


def front_check(args, wsc_out: str, wsc_report: dict, python_report: dict) -> dict:
    """Every K wsc scored, scored again by the Python evaluator."""
    import paper_baseline as pb
    ev = pb.Evaluator(args.model, args.data, "inputs", 1)
    with open(os.path.join(wsc_out, "checkpoint.json")) as f:
        memo = json.load(f)["state"]["memo"]
    one_sample = 1 / args.samples
    mismatched, differ, max_diff = [], 0, 0.0
    for entry in memo:
        k = entry["genome"][0]
        loss, size = entry["objectives"]
        acc, m = ev.score(k)
        wsc_acc = wsc_report["floatScore"] - loss
        diff = abs(acc - wsc_acc)
        max_diff = max(max_diff, diff)
        if diff > 1e-9:
            differ += 1
        if size != pb.packed_bytes(ev.n, m) or diff > one_sample + 1e-9:
            mismatched.append({"k": k, "wsc_accuracy": wsc_acc, "python_accuracy": acc,
                               "wsc_packed_bytes": size, "python_packed_bytes": pb.packed_bytes(ev.n, m)})
    wsc_front = [{"k": s["k"], "m": s["result"]["m"], "accuracy": s["result"]["score"],
                  "packed_bytes": s["result"]["packedWeightBytes"]} for s in wsc_report["solutions"]]
    py_front = [{"k": f["k"], "m": f["m"], "accuracy": f["accuracy"], "packed_bytes": f["packed_bytes"]}
                for f in python_report["front"]]
    key = lambda f: (f["packed_bytes"], round(f["accuracy"], 9))
    return {
        "float_accuracy": {"wsc": wsc_report["floatScore"], "python": ev.float_accuracy},
        "k_compared": len(memo),
        "k_with_different_accuracy": differ,
        "max_accuracy_difference": max_diff,
        "mismatches_beyond_one_sample_or_in_bytes": mismatched,
        "agree": not mismatched and abs(wsc_report["floatScore"] - ev.float_accuracy) < 1e-9,
        "wsc_front": wsc_front,
        "python_front": py_front,
        "fronts_identical_in_bytes_and_accuracy": sorted(map(key, wsc_front)) == sorted(map(key, py_front)),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--wsc", default=os.path.join(ROOT, ".build", "release", "wsc"))
    p.add_argument("--python", default=sys.executable, help="Python for paper_baseline.py")
    p.add_argument("--model", default="Tests/Fixtures/digits_mlp.onnx")
    p.add_argument("--data", default="Tests/Fixtures/digits_val.npz")
    p.add_argument("--input-shape", default="input=1,64")
    p.add_argument("--population", type=int, default=100)
    p.add_argument("--generations", type=int, default=30)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--k-min", type=int, default=2)
    p.add_argument("--k-max", type=int, default=1024)
    p.add_argument("--runs", type=int, default=5, help="runs of each side (at least 3)")
    p.add_argument("--variants", default="inputs:1,inputs,rebuild:1",
                   help="baseline variants, SESSION[:THREADS]: paper_baseline.py --session and --threads "
                        "(onnxruntime intra-op threads; none: onnxruntime's default pool)")
    p.add_argument("--scratch", default=None, help="folder for wsc's run directories (default: a temp folder)")
    p.add_argument("--out", default=os.path.join("bench", "search_speed.json"))
    args = p.parse_args(argv)
    if args.runs < 3:
        p.error("--runs must be at least 3")
    import numpy as np
    with np.load(os.path.join(ROOT, args.data)) as d:
        args.samples = int(d["x"].shape[0])
    variants = [v for v in args.variants.split(",") if v]
    scratch = args.scratch or tempfile.mkdtemp(prefix="search-speed-")
    os.makedirs(scratch, exist_ok=True)

    load_start = loadavg()
    wsc_runs, py_runs = [], {v: [] for v in variants}
    last_wsc, last_py = None, {}
    for i in range(args.runs):
        last_wsc = run_wsc(args, scratch, i)
        wsc_runs.append(last_wsc["run"])
        print(f"round {i + 1}/{args.runs}: wsc {last_wsc['run']['model_evaluations']} evaluations in "
              f"{last_wsc['run']['search_seconds']:.3f} s", file=sys.stderr)
        for v in variants:
            last_py[v] = run_python(args, v)
            py_runs[v].append(last_py[v]["run"])
            print(f"round {i + 1}/{args.runs}: python ({v}) {last_py[v]['run']['model_evaluations']} evaluations "
                  f"in {last_py[v]['run']['search_seconds']:.3f} s", file=sys.stderr)
    load_end = loadavg()

    wsc = summarise(wsc_runs)
    wsc["command"] = last_wsc["command"].replace(last_wsc["out"], "<scratch>/wsc-run-<i>")
    python = {}
    for v in variants:
        python[v] = summarise(py_runs[v])
        python[v]["command"] = last_py[v]["command"]
    ratios = {v: round(wsc["median_evaluations_per_second"] / python[v]["median_evaluations_per_second"], 3)
              for v in variants}
    fastest = max(variants, key=lambda v: python[v]["median_evaluations_per_second"])
    baseline_report = last_py[fastest]["report"]
    result = {
        "what": "issue 14: evaluations per second of wsc search vs the paper's method in Python "
                "(uniform binning + pymoo NSGA-II + onnxruntime on the batch), digits MLP",
        "command": "bench/search_speed.sh " + " ".join(argv if argv is not None else sys.argv[1:]),
        "settings": {"model": args.model, "data": args.data, "samples": args.samples,
                     "population": args.population, "generations": args.generations, "seed": args.seed,
                     "k_min": args.k_min, "k_max": args.k_max, "runs": args.runs, "metric": "accuracy",
                     "wsc": "--genome k --select-fraction 0 --no-merge --front pareto (all samples scored, no merge)",
                     "python_variants": "SESSION:THREADS — inputs: one session, shared weights fed as inputs; "
                                        "rebuild: a new session per candidate; THREADS: onnxruntime intra-op "
                                        "threads (absent: onnxruntime's default pool)"},
        "timed": "search_seconds: the search loop only (initial population + generations + their evaluations; wsc's "
                 "per-generation checkpoint included; model loading, float run, report and merge excluded); "
                 "evaluations_per_second = model evaluations (cache misses) / search_seconds; medians over runs",
        "wsc": wsc,
        "python": python,
        "ratio": ratios,
        "fastest_python_variant": fastest,
        "ratio_to_fastest_python": ratios[fastest],
        "ratio_process_to_fastest_python": round(
            wsc["median_evaluations_per_process_second"] / python[fastest]["median_evaluations_per_process_second"], 3),
        "target_ratio": 5.0,
        "meets_target": ratios[fastest] >= 5.0,
        "front_check": front_check(args, last_wsc["out"], last_wsc["report"], baseline_report),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_start": load_start, "load_average_end": load_end,
                    "baseline_versions": baseline_report["versions"]},
    }
    text = json.dumps(result, indent=2)
    with open(os.path.join(ROOT, args.out) if not os.path.isabs(args.out) else args.out, "w") as f:
        f.write(text + "\n")
    print(text)
    if not args.scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
