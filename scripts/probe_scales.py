#!/usr/bin/env python3
"""Probe for issue 5: how much the paper's one-range binning loses on models with folded BatchNorm or outliers,
and how much dividing each output channel by a scale before binning gets back. Not part of the compiler; a quick
numpy reference to re-run when the fixtures change.

For each model (default: every fixture in Tests/Fixtures/folded/ and Tests/Fixtures/cnn/):
- the shared weights are input 1 of every Conv, Gemm and MatMul that is an initializer (biases stay float);
- `paper`:       all of them, flattened into one vector, binned uniformly into K bins over [min, max] of the whole
                 vector (edges min + i (max - min) / K, the last bin closed); each weight becomes the mean of its bin's
                 members (empty bins are unused) — the paper's single codebook;
- `per-channel`: each output channel (axis 0 of Conv weights and of Gemm transB=1 weights, axis 1 of Gemm transB=0
                 and MatMul weights) is divided by its max |w| first, the normalised values of the whole network are
                 binned the same way into ONE codebook, and the channel scale is multiplied back afterwards.
The binned weights are substituted into the ONNX model and it is run with onnxruntime (one thread) on the test split
(Tests/Fixtures/digits_test.npz). Classifiers report top-1 test accuracy; models whose output is not [n, 10] logits
(the autoencoder) report the mean cosine of the output against the float model's.

Usage: python3 scripts/probe_scales.py [--k 8,12,16,32,64,128] [model.onnx ...]   (needs numpy, onnx, onnxruntime)
"""
import argparse
import glob
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "Tests", "Fixtures")


def shared_weights(model):
    """(initializer name, output-channel axis) of every Conv/Gemm/MatMul weight initializer."""
    inits = {t.name for t in model.graph.initializer}
    out = []
    for n in model.graph.node:
        if n.op_type in ("Conv", "Gemm", "MatMul") and len(n.input) > 1 and n.input[1] in inits:
            axis = 0
            if n.op_type == "MatMul":
                axis = 1
            elif n.op_type == "Gemm":
                axis = 0 if next((a.i for a in n.attribute if a.name == "transB"), 0) else 1
            out.append((n.input[1], axis))
    return out


def bin_uniform(values, k):
    """Uniform K bins over [min, max]; every value becomes the mean of its bin's members."""
    lo, hi = float(values.min()), float(values.max())
    if hi == lo:
        return values.copy()
    idx = np.minimum(((values - lo) / (hi - lo) * k).astype(np.int64), k - 1)
    sums = np.bincount(idx, weights=values, minlength=k)
    counts = np.bincount(idx, minlength=k)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    return means[idx]


def quantise(arrays, k, per_channel):
    """arrays: [(weight, axis)]; returns the binned weights (float32), one codebook over all of them."""
    scales, flat = [], []
    for w, axis in arrays:
        w = w.astype(np.float64)
        if per_channel:
            s = np.abs(np.moveaxis(w, axis, 0)).reshape(w.shape[axis], -1).max(axis=1)
            s = np.where(s > 0, s, 1.0)
            shape = [1] * w.ndim
            shape[axis] = -1
            s = s.reshape(shape)
        else:
            s = np.ones([1] * w.ndim)
        scales.append(s)
        flat.append((w / s).ravel())
    sizes = [f.size for f in flat]
    binned = bin_uniform(np.concatenate(flat), k)
    out, start = [], 0
    for (w, _), s, size in zip(arrays, scales, sizes):
        out.append((binned[start:start + size].reshape(w.shape) * s).astype(np.float32))
        start += size
    return out


def session(model):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), sess_options=opts, providers=["CPUExecutionProvider"])


def run(model, x):
    sess = session(model)
    inp = sess.get_inputs()[0]
    rank = len(inp.shape)
    x = x.reshape(-1, 1, 8, 8) if rank == 4 else x
    return sess.run(None, {inp.name: x})[0]


def is_classifier(ref):
    return ref.ndim == 2 and ref.shape[1] == 10


def score(out, y, ref):
    if is_classifier(ref):
        return float(np.mean(out.argmax(axis=1) == y))
    a, b = out.astype(np.float64), ref.astype(np.float64)
    cos = np.sum(a * b, axis=1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12)
    return float(np.mean(cos))


def probe(file, ks, x, y):
    model = onnx.load(file)
    inits = {t.name: t for t in model.graph.initializer}
    weights = shared_weights(model)
    arrays = [(numpy_helper.to_array(inits[name]), axis) for name, axis in weights]
    ref = run(model, x)
    rows = {"float": score(ref, y, ref), "metric": "accuracy" if is_classifier(ref) else "cosine"}
    for mode in ("paper", "per-channel"):
        for k in ks:
            binned = quantise(arrays, k, per_channel=(mode == "per-channel"))
            for (name, _), w in zip(weights, binned):
                inits[name].CopyFrom(numpy_helper.from_array(w, name))
            rows[(mode, k)] = score(run(model, x), y, ref)
        for (name, _), (w, _) in zip(weights, arrays):
            inits[name].CopyFrom(numpy_helper.from_array(w, name))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", default="8,12,16,32,64,128", help="comma-separated codebook sizes")
    parser.add_argument("models", nargs="*", help="ONNX files (default: the folded and cnn fixtures)")
    args = parser.parse_args()
    ks = [int(v) for v in args.k.split(",")]
    files = args.models or (sorted(glob.glob(os.path.join(DATA, "folded", "*.onnx")))
                            + sorted(glob.glob(os.path.join(DATA, "cnn", "*.onnx"))))
    with np.load(os.path.join(DATA, "digits_test.npz")) as f:
        x, y = f["x"].astype(np.float32), f["y"].astype(np.int64)

    header = "| model | metric | float | mode | " + " | ".join(f"K={k}" for k in ks) + " |"
    print(header)
    print("|" + "---|" * (4 + len(ks)))
    for file in files:
        rows = probe(file, ks, x, y)
        name = os.path.relpath(file, DATA)
        metric = rows["metric"]
        for mode in ("paper", "per-channel"):
            cells = " | ".join(f"{rows[(mode, k)]:.4f}" for k in ks)
            print(f"| {name} | {metric} | {rows['float']:.4f} | {mode} | {cells} |")


if __name__ == "__main__":
    main()
