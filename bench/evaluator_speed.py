#!/usr/bin/env python3
"""Per-candidate cost of `wsc search` on a >= 1 M-weight CNN with a 256x256 input, against onnxruntime's
single-thread forward pass over the same samples (issue 14's acceptance). Writes bench/evaluator_speed.json.

Two models (--model): resnet18_half, from bench/make_speed_model.py (ResNet-18 at half width, 2.8 M weights, seeded
random weights, 3x256x256, seeded random images), and dbnet, the real PP-OCRv4 DBNet text detector that
rapidocr-onnxruntime ships (1.16 M weights; bench/rapidocr_models.py fetches it from PyPI) at 3x256x512 on pages of
rendered text (bench/make_text_images.py). For each
configuration (genome k / full; evaluator fast / reference) `wsc search` runs with --no-merge --select-fraction 0
--front pareto, and its generation lines are stamped as they arrive: the per-candidate time is the time from the
initial population's line to the last generation's line over the model evaluations made in between (so the float
model, the one-time calibration of the first generation, the report and the reference re-scoring of the front are
not in it; NSGA-II, encoding, container writing, loading and scoring are). Median over the runs.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = re.compile(r"^gen\s+(\d+)/(\d+)\s+evaluations\s+\d+\s+\(runtime\s+(\d+)\)")


def onnxruntime_seconds(python, model, data, runs):
    code = f"""
import json, time, numpy as np, onnxruntime as ort
o = ort.SessionOptions(); o.intra_op_num_threads = 1; o.inter_op_num_threads = 1
s = ort.InferenceSession({model!r}, o, providers=["CPUExecutionProvider"])
x = np.load({data!r})["x"]
x = x.reshape(len(x), 1, *x.shape[-3:])          # one image per run
name = s.get_inputs()[0].name
s.run(None, {{name: x[0]}})
times = []
for _ in range({runs}):
    t = time.perf_counter()
    for i in range(len(x)):
        s.run(None, {{name: x[i]}})
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""
    return json.loads(subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout)


def search(wsc, model, data, genome, evaluator, population, generations, seed, extra):
    out = tempfile.mkdtemp(prefix="ws-evalspeed-")
    try:
        cmd = [wsc, "search", model, "--data", data, "--metric", "cosine", "--out", os.path.join(out, "run"),
               "--population", str(population), "--generations", str(generations), "--genome", genome,
               "--evaluator", evaluator, "--no-merge", "--select-fraction", "0", "--front", "pareto",
               "--seed", str(seed)] + extra
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        stamps = []
        for line in p.stderr:
            m = GEN.match(line.strip())
            if m:
                stamps.append((time.perf_counter(), int(m.group(1)), int(m.group(3))))
        if p.wait() != 0:
            raise SystemExit(f"wsc search failed: {' '.join(cmd)}")
        wall = time.perf_counter() - start
        (t0, _, e0), (t1, _, e1) = stamps[0], stamps[-1]
        return {"seconds_per_candidate": (t1 - t0) / max(1, e1 - e0), "evaluations": e1 - e0,
                "generation_seconds": t1 - t0, "process_seconds": wall}
    finally:
        shutil.rmtree(out, ignore_errors=True)


DESCRIPTIONS = {
    "resnet18_half": "ResNet-18 at half width (2.8 M weights), 3x256x256 input, seeded random weights and images",
    "dbnet": "the PP-OCRv4 DBNet text detector of rapidocr-onnxruntime 1.4.4 (1.16 M weights), 3x256x512 input, "
             "pages of rendered text",
}


def prepare(a):
    """The model, its data and the search options it needs, made or fetched into --work once."""
    if a.model == "resnet18_half":
        model, data = os.path.join(a.work, "resnet18_half.onnx"), os.path.join(a.work, "data.npz")
        if not (os.path.exists(model) and os.path.exists(data)):
            subprocess.run([a.python, os.path.join(ROOT, "bench", "make_speed_model.py"), a.work, "--samples",
                            str(a.samples)], check=True)
        return model, data, []
    cache = os.path.join(ROOT, ".build-bench", "rapidocr")
    subprocess.run([a.python, os.path.join(ROOT, "bench", "rapidocr_models.py"), cache], check=True,
                   stdout=subprocess.DEVNULL)
    data = os.path.join(a.work, f"dbnet_pages_{a.samples}.npz")
    if not os.path.exists(data):
        subprocess.run([a.python, os.path.join(ROOT, "bench", "make_text_images.py"), a.work,
                        f"dbnet_pages_{a.samples}", "--kind", "page", "--count", str(a.samples), "--seed", "1"],
                       check=True)
    return os.path.join(cache, "ch_PP-OCRv4_det_infer.onnx"), data, ["--input-shape", "x=1,3,256,512"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--wsc", default=os.path.join(ROOT, ".build", "release", "wsc"))
    p.add_argument("--python", default=sys.executable, help="a Python with torch, onnx, onnxruntime, numpy")
    p.add_argument("--samples", type=int, default=16)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--population", type=int, default=8)
    p.add_argument("--generations", type=int, default=3)
    p.add_argument("--model", choices=["resnet18_half", "dbnet"], default="resnet18_half")
    p.add_argument("--work", default=os.path.join(ROOT, ".build-bench", "evaluator_speed"))
    p.add_argument("--out", help="default bench/evaluator_speed.json, bench/evaluator_speed_dbnet.json for dbnet")
    p.add_argument("--configs", default="k/fast,full/fast,k/reference", help="genome/evaluator pairs to run")
    a = p.parse_args()
    model, data, extra = prepare(a)
    out = a.out or os.path.join(ROOT, "bench", "evaluator_speed.json" if a.model == "resnet18_half"
                                else f"evaluator_speed_{a.model}.json")
    ort = onnxruntime_seconds(a.python, model, data, max(5, a.runs))
    ort_median = statistics.median(ort)
    configs = [tuple(c.split("/")) for c in a.configs.split(",")]
    results = {}
    for genome, evaluator in configs:
        runs = [search(a.wsc, model, data, genome, evaluator, a.population,
                       a.generations if evaluator == "fast" else 1, seed + 1, extra)
                for seed in range(a.runs if evaluator == "fast" else 1)]
        per = statistics.median(r["seconds_per_candidate"] for r in runs)
        results[f"{genome}/{evaluator}"] = {"runs": runs, "median_seconds_per_candidate": round(per, 4),
                                            "ratio_to_onnxruntime": round(per / ort_median, 2)}
        print(f"{genome}/{evaluator}: {per:.3f} s per candidate = {per / ort_median:.2f}x onnxruntime", file=sys.stderr)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    report = {
        "what": "issue 14: per-candidate wall time of wsc search against onnxruntime's single-thread forward pass "
                "over the same samples; " + DESCRIPTIONS[a.model],
        "model": a.model,
        "command": "bench/evaluator_speed.sh " + " ".join(sys.argv[1:]),
        "samples": a.samples, "population": a.population, "generations": a.generations,
        "timed": "wsc: from the initial population's generation line to the last one, over the model evaluations "
                 "in between (NSGA-II, encoding, container, load, scoring; not the float model, the first "
                 "generation's one-time calibration, the report or the reference re-scoring of the front); "
                 "onnxruntime: one session, intra/inter-op threads 1, the samples one at a time",
        "onnxruntime_seconds": [round(t, 4) for t in ort], "onnxruntime_median_seconds": round(ort_median, 4),
        "wsc": results,
        "full_over_k": round(results["full/fast"]["median_seconds_per_candidate"]
                             / results["k/fast"]["median_seconds_per_candidate"], 2)
        if "full/fast" in results and "k/fast" in results else None,
        "load_average": load, "cores": os.cpu_count(),
        "targets": {"ratio_to_onnxruntime_full": 3.0, "full_over_k": 1.5},
    }
    with open(out, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
