#!/usr/bin/env python3
"""The paper's method in Python: the baseline of issue 14's search-speed benchmark.

Khosrowshahli, Rahnamayan & Ombuki-Berman, "A Novel Structure-Agnostic Multi-Objective Approach for
Weight-Sharing Compression in Deep Neural Networks" (arXiv 2501.03095, 2025), written the way a competent
Python user would write it with the usual tools:

- the ONNX model is read with ``onnx``; every Conv/Gemm/MatMul weight initializer (not biases) is flattened into
  one vector of N values (a tensor used by several nodes counts once);
- a candidate K bins that vector uniformly (``--binning sorted``: the vector sorted once, each K a search of its
  edges and a segmented sum; ``direct``: every weight searched in the edges; the same result): K equal-width bins
  over [min, max] (edges min + (max - min) * i / K in
  float64, the maximum in the last bin), each weight to its bin, each bin's shared value the mean of its members
  (float64 sum, stored as float32), empty bins dropped (M bins remain);
- the quantized weights go back into the model and onnxruntime scores top-1 accuracy on the whole data batch in
  one ``run`` call. Two ways (``--session``):
    ``inputs`` (default, the fast one): the shared initializers are turned into graph inputs once, one
      ``InferenceSession`` is built, and every candidate's weights are fed next to the data;
    ``rebuild``: the literal reading — the quantized arrays are written into the ModelProto's initializers and a
      new ``InferenceSession`` is created from the serialised bytes for every candidate;
- objectives (minimised): float accuracy - accuracy, and the packed size in bytes,
  4 * M (float32 codebook) + ceil(N * ceil(log2 M) / 8) (fixed-width indices; at least 1 bit);
- NSGA-II from pymoo (0.6.2): integer K in [k_min, k_max], random integer sampling, SBX (p = 0.9, eta = 15) and
  polynomial mutation (eta = 20) on the real line with rounding repair, duplicates eliminated, seeded;
  ``--generations G`` means G generations after the initial population (pymoo's ``n_gen`` = G + 1, since pymoo
  counts the initial population as generation 1), which is what ``wsc search --generations G`` runs.

Scores are cached by K (a K proposed again is not run again); ``model_evaluations`` counts the onnxruntime runs,
``pymoo_evaluations`` the individuals pymoo asked for. ``search_seconds`` is the wall time of pymoo's ``minimize``
(selection, variation, survival, binning and onnxruntime); model loading, session building and the float model's
run are ``setup_seconds``. Prints one JSON object (``--out`` also writes it).

Needs numpy, onnx, onnxruntime and pymoo (``bench/search_speed.sh`` makes a venv with them).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

SHARED_OPS = ("Conv", "Gemm", "MatMul")


def shared_initializers(model: onnx.ModelProto) -> list[str]:
    """Names of the Conv/Gemm/MatMul weight initializers, in node order, each once."""
    inits = {t.name for t in model.graph.initializer}
    names: list[str] = []
    for node in model.graph.node:
        if node.op_type not in SHARED_OPS:
            continue
        # Conv W and Gemm B are input 1; MatMul shares whichever operand is a constant.
        candidates = [node.input[1]] if node.op_type != "MatMul" else list(node.input[:2])
        for name in candidates:
            if name in inits and name not in names:
                names.append(name)
    return names


def bits_for(m: int) -> int:
    return max(1, math.ceil(math.log2(m))) if m > 1 else 1


class UniformBinning:
    """The paper's uniform binning of one weight vector.

    The weights are sorted once; a K then costs a binary search of the K - 1 interior edges in the sorted vector
    (every bin is a contiguous run of it), one segmented sum and one scatter back to the original order: O(N)
    with small constants, instead of a per-weight search of the edges.
    """

    def __init__(self, values: np.ndarray):
        self.values = values.astype(np.float64)
        self.order = np.argsort(self.values, kind="stable")
        self.sorted = self.values[self.order]
        self.lo = float(self.sorted[0])
        self.hi = float(self.sorted[-1])

    def edges(self, k: int) -> np.ndarray:
        """Interior edges min + (max - min) * i / K, i = 1..K-1, in float64 (the product first, as wsc does)."""
        return self.lo + (self.hi - self.lo) * np.arange(1, k, dtype=np.float64) / k

    def quantize(self, k: int) -> tuple[np.ndarray, int]:
        """Dequantized weights (float32, original order) and M, the number of non-empty bins."""
        # A value equal to an edge belongs to the bin above it: bin i holds [edge_i, edge_i+1).
        bounds = np.concatenate(([0], np.searchsorted(self.sorted, self.edges(k), side="left"), [self.sorted.size]))
        counts = np.diff(bounds)
        nonempty = counts > 0
        counts = counts[nonempty]
        means = (np.add.reduceat(self.sorted, bounds[:-1][nonempty]) / counts).astype(np.float32)
        out = np.empty(self.sorted.size, dtype=np.float32)
        out[self.order] = np.repeat(means, counts)
        return out, int(counts.size)

    def quantize_direct(self, k: int) -> tuple[np.ndarray, int]:
        """The same binning written per weight (searchsorted of every weight in the edges); for checks."""
        bins = np.searchsorted(self.edges(k), self.values, side="right")
        counts = np.bincount(bins, minlength=k)
        sums = np.bincount(bins, weights=self.values, minlength=k)
        nonempty = counts > 0
        means = np.zeros(k, dtype=np.float32)
        means[nonempty] = (sums[nonempty] / counts[nonempty]).astype(np.float32)
        return means[bins], int(nonempty.sum())


def packed_bytes(n: int, m: int) -> int:
    return 4 * m + (n * bits_for(m) + 7) // 8


class Evaluator:
    """Scores a K: binning, weights back into the model, one onnxruntime run over the batch, top-1 accuracy."""

    def __init__(self, model_path: str, data_path: str, session: str, threads: int | None,
                 binning: str = "sorted"):
        self.mode = session
        self.binning_mode = binning
        model = onnx.load(model_path)
        self.names = shared_initializers(model)
        if not self.names:
            raise SystemExit(f"{model_path}: no Conv/Gemm/MatMul weight initializer to share")
        inits = {t.name: t for t in model.graph.initializer}
        self.arrays = [numpy_helper.to_array(inits[n]) for n in self.names]
        self.shapes = [a.shape for a in self.arrays]
        self.sizes = [a.size for a in self.arrays]
        flat = np.concatenate([a.ravel() for a in self.arrays]).astype(np.float32)
        self.n = int(flat.size)
        self.binning = UniformBinning(flat)
        data = np.load(data_path)
        self.x = data["x"].astype(np.float32)
        self.y = data["y"].astype(np.int64)
        self.options = ort.SessionOptions()
        if threads:
            self.options.intra_op_num_threads = threads
            self.options.inter_op_num_threads = 1
        self.threads = threads
        self.providers = ["CPUExecutionProvider"]
        if session == "inputs":
            # The shared initializers become graph inputs: one session, new weights fed with every run.
            fed = onnx.ModelProto()
            fed.CopyFrom(model)
            keep = [t for t in fed.graph.initializer if t.name not in self.names]
            del fed.graph.initializer[:]
            fed.graph.initializer.extend(keep)
            for name, arr in zip(self.names, self.arrays):
                fed.graph.input.append(onnx.helper.make_tensor_value_info(
                    name, onnx.helper.np_dtype_to_tensor_dtype(arr.dtype), list(arr.shape)))
            self.session = ort.InferenceSession(fed.SerializeToString(), self.options, providers=self.providers)
        else:
            self.model = model
            self.session = None
        self.input_name = model.graph.input[0].name
        self.output_name = model.graph.output[0].name
        self.float_accuracy = self.accuracy(self.arrays)

    def accuracy(self, arrays: list[np.ndarray]) -> float:
        if self.mode == "inputs":
            feed = {self.input_name: self.x}
            feed.update(zip(self.names, arrays))
            out = self.session.run([self.output_name], feed)[0]
        else:
            inits = {t.name: i for i, t in enumerate(self.model.graph.initializer)}
            for name, arr in zip(self.names, arrays):
                self.model.graph.initializer[inits[name]].CopyFrom(numpy_helper.from_array(arr, name))
            sess = ort.InferenceSession(self.model.SerializeToString(), self.options, providers=self.providers)
            out = sess.run([self.output_name], {self.input_name: self.x})[0]
        return float(np.mean(np.argmax(out, axis=1) == self.y))

    def score(self, k: int) -> tuple[float, int]:
        """Accuracy and M for K."""
        values, m = (self.binning.quantize(k) if self.binning_mode == "sorted"
                     else self.binning.quantize_direct(k))
        arrays, offset = [], 0
        for shape, size in zip(self.shapes, self.sizes):
            arrays.append(values[offset:offset + size].reshape(shape))
            offset += size
        return self.accuracy(arrays), m


def run(args: argparse.Namespace) -> dict:
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.optimize import minimize
    import pymoo

    t0 = time.perf_counter()
    ev = Evaluator(args.model, args.data, args.session, args.threads, args.binning)
    setup = time.perf_counter() - t0

    cache: dict[int, tuple[float, int]] = {}
    timing = {"evaluate_seconds": 0.0, "pymoo_evaluations": 0}

    def scored(k: int) -> tuple[float, int]:
        if k not in cache:
            cache[k] = ev.score(k)
        return cache[k]

    class WeightSharing(Problem):
        def __init__(self):
            super().__init__(n_var=1, n_obj=2, xl=args.k_min, xu=args.k_max, vtype=int)

        def _evaluate(self, X, out, *a, **kw):
            start = time.perf_counter()
            F = np.empty((len(X), 2))
            for i, k in enumerate(np.asarray(X).reshape(len(X), -1)[:, 0]):
                acc, m = scored(int(round(k)))
                F[i] = (ev.float_accuracy - acc, packed_bytes(ev.n, m))
            out["F"] = F
            timing["evaluate_seconds"] += time.perf_counter() - start
            timing["pymoo_evaluations"] += len(X)

    algorithm = NSGA2(
        pop_size=args.population,
        sampling=IntegerRandomSampling(),
        crossover=SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
        mutation=PM(eta=20, vtype=float, repair=RoundingRepair()),
        eliminate_duplicates=True,
    )
    t1 = time.perf_counter()
    res = minimize(WeightSharing(), algorithm, ("n_gen", args.generations + 1), seed=args.seed, verbose=False)
    search = time.perf_counter() - t1

    front = []
    for x, f in sorted(zip(np.asarray(res.X).reshape(-1), res.F.tolist()), key=lambda p: (p[1][1], p[1][0])):
        k = int(round(x))
        acc, m = cache[k]
        front.append({"k": k, "m": m, "bit_width": bits_for(m), "accuracy": acc, "loss": f[0],
                      "packed_bytes": int(f[1]), "compression_ratio_fixed": 4 * ev.n / f[1]})
    extra = {}
    if args.score_k:
        ks = [int(s) for s in args.score_k.split(",") if s]
        extra["scored_k"] = []
        for k in ks:
            acc, m = ev.score(k)
            extra["scored_k"].append({"k": k, "m": m, "accuracy": acc, "packed_bytes": packed_bytes(ev.n, m)})
    evaluations = len(cache)
    return {
        "method": "paper baseline: uniform binning + pymoo NSGA-II + onnxruntime on the batch",
        "model": args.model, "data": args.data, "samples": int(ev.x.shape[0]),
        "shared_tensors": ev.names, "shared_weights": ev.n,
        "population": args.population, "generations": args.generations, "pymoo_n_gen": args.generations + 1,
        "seed": args.seed, "k_min": args.k_min, "k_max": args.k_max,
        "session": args.session, "binning": args.binning, "intra_op_threads": args.threads or "onnxruntime default",
        "float_accuracy": ev.float_accuracy,
        "model_evaluations": evaluations, "pymoo_evaluations": timing["pymoo_evaluations"],
        "setup_seconds": setup, "search_seconds": search, "evaluate_seconds": timing["evaluate_seconds"],
        "evaluations_per_second": evaluations / search if search > 0 else None,
        "front": front,
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "onnx": onnx.__version__,
                     "onnxruntime": ort.__version__, "pymoo": pymoo.__version__},
        **extra,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("--data", required=True, help=".npz with x [n, ...] float32 and y [n] labels")
    p.add_argument("--population", type=int, default=100)
    p.add_argument("--generations", type=int, default=30, help="generations after the initial population")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--k-min", type=int, default=2)
    p.add_argument("--k-max", type=int, default=1024)
    p.add_argument("--session", choices=["inputs", "rebuild"], default="inputs")
    p.add_argument("--binning", choices=["sorted", "direct"], default="sorted",
                   help="sorted (default): the weights sorted once, a K costs a search of its edges and a segmented "
                        "sum; direct: every weight searched in the edges (the same bins and values, slower)")
    p.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads (default: its own)")
    p.add_argument("--score-k", default="", help="comma-separated K to score after the search (sanity checks)")
    p.add_argument("--out", help="also write the JSON here")
    args = p.parse_args(argv)
    result = run(args)
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
