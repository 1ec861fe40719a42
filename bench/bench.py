#!/usr/bin/env python3
"""WeightShare benchmark (called by bench/run.sh, which first writes the .wsm files and the Swift timings).

Per fixture (digits MLP, LeNet, ResNet, MobileNet), in one process and one after the other:
- onnxruntime (CPUExecutionProvider, intra_op_num_threads = inter_op_num_threads = 1): per-sample latency of
  batch-1 `session.run` calls over the test split (Python call overhead included), and the batched per-sample
  time (all samples in one call) for comparison;
- the C runtime (bench/runtime_bench, -O2) on the raw container (float32 weights) and on the K = 16 container
  (shared weights, fixed-width indices decoded on the fly): per-sample latency;
- ratio = C raw / onnxruntime batch-1, decode overhead = C K16 / C raw - 1, and max |C raw - onnxruntime|.
Binning: the Swift UniformBinning rate (from swift.json) against scikit-learn KMeans(n_init=1, one thread) at the
same number of clusters on the same weight vector.

Every timing is the median of RUNS runs. Output: JSON on stdout and in --out.
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import sklearn  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
MODELS = {
    "mlp": ("digits_mlp.onnx", (1, 64)),
    "lenet": ("cnn/lenet.onnx", (1, 1, 8, 8)),
    "resnet": ("cnn/resnet.onnx", (1, 1, 8, 8)),
    "mobilenet": ("cnn/mobilenet.onnx", (1, 1, 8, 8)),
}
RUNS = 7
ROUNDS = 3
SHARED_K = 16


def median(xs):
    return float(np.median(np.asarray(xs)))


class OnnxRuntimeTimer:
    def __init__(self, path, x, shape):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])
        self.name = self.sess.get_inputs()[0].name
        self.samples = [np.ascontiguousarray(x[i].reshape(shape)) for i in range(len(x))]
        self.batch = x.reshape((len(x),) + tuple(shape[1:]))
        # Warm-up, and the reference outputs.
        self.outputs = np.concatenate([self.sess.run(None, {self.name: s})[0] for s in self.samples]).astype(np.float32)

    def single(self, runs):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            for s in self.samples:
                self.sess.run(None, {self.name: s})
            times.append((time.perf_counter() - start) / len(self.samples))
        return times

    def batched(self, runs):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            self.sess.run(None, {self.name: self.batch})
            times.append((time.perf_counter() - start) / len(self.samples))
        return times


def c_latency(driver, wsm, inputs, runs, passes, out_path):
    result = subprocess.run([driver, wsm, inputs, str(runs), str(passes), out_path], check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout)


def kmeans_rate(values, k, runs):
    data = values.reshape(-1, 1).astype(np.float32)
    seconds = []
    for r in range(runs):
        start = time.perf_counter()
        KMeans(n_clusters=k, n_init=1, random_state=r).fit(data)
        seconds.append(time.perf_counter() - start)
    return median(seconds)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", required=True, help="folder with <net>_raw.wsm, <net>_k16.wsm, swift.json")
    parser.add_argument("--driver", required=True, help="the compiled bench/runtime_bench")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results.json"))
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--nets", default=",".join(MODELS), help="comma-separated subset of " + ",".join(MODELS))
    args = parser.parse_args()
    runs = max(5, args.runs)

    with np.load(os.path.join(FIXTURES, "digits_test.npz")) as f:
        x = f["x"].astype(np.float32)
    inputs = os.path.join(args.models, "digits_test_x.f32")
    x.astype("<f4").tofile(inputs)
    with open(os.path.join(args.models, "swift.json")) as f:
        swift = json.load(f)

    load_before = os.getloadavg()
    latency = {}
    for net in args.nets.split(","):
        file, shape = MODELS[net]
        timer = OnnxRuntimeTimer(os.path.join(FIXTURES, file), x, shape)
        reference = timer.outputs
        # Enough passes over the 360 samples for ~0.2 s per run.
        passes = max(1, int(0.2 / max(median(timer.single(1)), 1e-6) / len(x)))
        raw_out = os.path.join(args.models, f"{net}_raw_out.f32")
        shared_out = os.path.join(args.models, f"{net}_k{SHARED_K}_out.f32")
        raw_path = os.path.join(args.models, f"{net}_raw.wsm")
        shared_path = os.path.join(args.models, f"{net}_k{SHARED_K}.wsm")
        # ROUNDS interleaved rounds (onnxruntime, C raw, C K16), so a change of machine load hits all three;
        # each statistic is the median over every run of every round.
        ort_times, ort_batched_times, raw_times, shared_times = [], [], [], []
        for _ in range(ROUNDS):
            ort_times += timer.single(runs)
            ort_batched_times += timer.batched(runs)
            raw = c_latency(args.driver, raw_path, inputs, runs, passes, raw_out)
            shared = c_latency(args.driver, shared_path, inputs, runs, passes, shared_out)
            raw_times += raw["seconds_per_sample_runs"]
            shared_times += shared["seconds_per_sample_runs"]
        ort_single, ort_batched = median(ort_times), median(ort_batched_times)
        raw["median_seconds_per_sample"] = median(raw_times)
        shared["median_seconds_per_sample"] = median(shared_times)
        c_raw_outputs = np.fromfile(raw_out, dtype="<f4").reshape(reference.shape)
        c_shared_outputs = np.fromfile(shared_out, dtype="<f4").reshape(reference.shape)
        with np.load(os.path.join(FIXTURES, "digits_test.npz")) as f:
            labels = f["y"]
        latency[net] = {
            "onnx": file,
            "samples": int(len(x)),
            "onnxruntime_seconds_per_sample": ort_single,
            "onnxruntime_batched_seconds_per_sample": ort_batched,
            "c_raw_seconds_per_sample": raw["median_seconds_per_sample"],
            f"c_k{SHARED_K}_seconds_per_sample": shared["median_seconds_per_sample"],
            "ratio_c_raw_to_onnxruntime": raw["median_seconds_per_sample"] / ort_single,
            "ratio_c_raw_to_onnxruntime_batched": raw["median_seconds_per_sample"] / ort_batched,
            "decode_overhead": shared["median_seconds_per_sample"] / raw["median_seconds_per_sample"] - 1.0,
            "max_abs_diff_c_raw_vs_onnxruntime": float(np.max(np.abs(c_raw_outputs - reference))),
            "top1_agreement_c_raw_vs_onnxruntime": float(np.mean(c_raw_outputs.argmax(1) == reference.argmax(1))),
            f"accuracy_c_k{SHARED_K}": float(np.mean(c_shared_outputs.argmax(1) == labels)),
            "accuracy_float": float(np.mean(reference.argmax(1) == labels)),
            "raw_wsm_bytes": raw["model_bytes"],
            f"k{SHARED_K}_wsm_bytes": shared["model_bytes"],
            "arena_bytes": raw["arena_bytes"],
            "passes_per_run": passes,
        }
        latency[net].update({f"swift_{k}": v for k, v in swift["models"][net].items() if k in
                             ("shared_weights", "naive_arena_bytes", "codebook_size", "operators")})
        print(f"{net}: onnxruntime {ort_single * 1e6:.1f} us, C raw {raw['median_seconds_per_sample'] * 1e6:.1f} us "
              f"(x{latency[net]['ratio_c_raw_to_onnxruntime']:.2f}), C K{SHARED_K} "
              f"{shared['median_seconds_per_sample'] * 1e6:.1f} us (decode overhead "
              f"{latency[net]['decode_overhead'] * 100:+.1f} %)", file=sys.stderr)

    weights = np.fromfile(os.path.join(args.models, "mlp_weights.f32"), dtype="<f4")
    binning = []
    for entry in swift["binning"]:
        values = weights if entry["vector"] == "mlp" else np.tile(weights, 60)
        assert len(values) == entry["weights"], (entry["vector"], len(values), entry["weights"])
        kmeans_runs = runs if len(values) < 100_000 else 5
        seconds = kmeans_rate(values, entry["k"], kmeans_runs)
        row = {
            "vector": entry["vector"], "weights": entry["weights"], "k": entry["k"],
            "uniform_binning_weights_per_second": entry["binning_weights_per_second"],
            "uniform_binning_and_codebook_weights_per_second": entry["binning_and_codebook_weights_per_second"],
            "kmeans_seconds": seconds, "kmeans_runs": kmeans_runs,
            "kmeans_weights_per_second": len(values) / seconds,
            "speedup_uniform_binning_vs_kmeans": entry["binning_weights_per_second"] * seconds / len(values),
        }
        binning.append(row)
        print(f"binning {row['vector']} k={row['k']}: uniform {row['uniform_binning_weights_per_second']:.3g} w/s, "
              f"KMeans {row['kmeans_weights_per_second']:.3g} w/s (x{row['speedup_uniform_binning_vs_kmeans']:.0f})",
              file=sys.stderr)

    results = {
        "settings": {"runs": runs, "rounds": ROUNDS,
                     "statistic": "median of rounds x runs (onnxruntime, C raw and C K16 interleaved per round)", "shared_k": SHARED_K,
                     "onnxruntime": "CPUExecutionProvider, intra_op_num_threads=1, inter_op_num_threads=1, "
                                    "batch-1 session.run per sample from Python",
                     "c_runtime": "bench/runtime_bench.c, cc -O2 -std=c99, Runtime/src/*.c, one thread",
                     "kmeans": "sklearn.cluster.KMeans(n_clusters=k, n_init=1), OMP_NUM_THREADS=1",
                     "uniform_binning": "WeightShare.UniformBinning(values:k:) from a release build"},
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(), "load_average_1min_before": load_before[0],
                    "load_average_1min_after": os.getloadavg()[0], "python": sys.version.split()[0], "numpy": np.__version__,
                    "onnxruntime": ort.__version__, "scikit-learn": sklearn.__version__},
        "latency": latency,
        "binning": binning,
    }
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps(results, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
