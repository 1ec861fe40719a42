"""WeightShare's .wsm against TFLM's LUT compression on the digits CNN fixtures (issue 16): writes bench/tflm_lut.json.

Run by bench/tflm_lut.sh, in a venv with onnx, onnxruntime and tflite-micro (TFLM's Python interpreter and its
compression tool). For each fixture:
- the ONNX model becomes a float32 .tflite (NHWC; batch norm folded, ReLU/ReLU6 fused into the producer as TFLite's
  converter does; ONNX's explicit padding through SAME or a PAD operator), built with TFLM's model_editor. TFLM's
  interpreter must reproduce onnxruntime's outputs on the test split (the check is part of the result);
- TFLM's 4-bit LUT: every Conv/FC weight tensor clustered to 16 values (1-D k-means: the best table per tensor),
  compressed with TFLM's own tool (`compression.compress`, `lut`, index_bitwidth 4) and run by
  TFLM's interpreter (DECODE operators) on the test split; also its size with no tensor names;
- WeightShare: the default `wsc search` with `--constants half` (seeds 1-5) and the default `wsc compile` (indices coded as compile writes
  them), scored on the same test split with `wsc pareto --data`; the same solution with `--strip-names` too.
Sizes are whole files (graph, every constant, format overhead), both sides.
"""
import argparse
import importlib.metadata
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime
from onnx import numpy_helper
from tflite_micro.python.tflite_micro import runtime
from tflite_micro.tensorflow.lite.micro.compression import compress as tflm_compress  # the function
from tflite_micro.tensorflow.lite.micro.compression import model_editor as me
from tflite_micro.tensorflow.lite.micro.compression import spec as tflm_spec
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as tfl

FIXTURES = [
    ("lenet", "cnn/lenet.onnx", "input=1,1,8,8"),
    ("resnet", "cnn/resnet.onnx", "input=1,1,8,8"),
    ("mobilenet", "cnn/mobilenet.onnx", "input=1,1,8,8"),
    ("resnet_folded", "folded/resnet_folded.onnx", "input=1,1,8,8"),
    ("repvgg", "folded/repvgg.onnx", "input=1,1,8,8"),
]


class Converter:
    """ONNX (NCHW) -> TFLite (NHWC) for the operators of the digits CNN fixtures."""

    def __init__(self, model):
        self.graph = model.graph
        self.consts = {t.name: numpy_helper.to_array(t).astype(np.float32) for t in self.graph.initializer}
        for n in self.graph.node:
            if n.op_type == "Constant":
                self.consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        self.consumers = {}
        for n in self.graph.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.sg = me.Subgraph()
        self.tensors = {}   # ONNX name -> (tflite tensor, NCHW shape)
        self.weights = []   # tflite weight tensors (Conv/FC filters), the ones LUT compresses
        self.absorbed = set()  # ids of ONNX nodes folded or fused into the operator before them

    def tensor(self, shape, data=None, name=None, dtype=tfl.TensorType.FLOAT32):
        return self.sg.add_tensor(shape=shape, dtype=dtype, data=data, name=name)

    def op(self, code, inputs, outputs, opt_type=tfl.BuiltinOptions.NONE, options=None):
        o = self.sg.add_operator(opcode=code, inputs=inputs, outputs=outputs)
        o._fb.builtinOptionsType = opt_type
        o._fb.builtinOptions = options

    def activation_after(self, out_name):
        """A single Relu/Clip(0, 6) consumer of out_name is fused (TFLite's converter does the same)."""
        users = self.consumers.get(out_name, [])
        if len(users) != 1 or out_name in [o.name for o in self.graph.output]:
            return tfl.ActivationFunctionType.NONE, out_name
        u, act = users[0], None
        if u.op_type == "Relu":
            act = tfl.ActivationFunctionType.RELU
        elif u.op_type == "Clip" and tuple(float(self.consts[u.input[k]]) for k in (1, 2)) == (0.0, 6.0):
            act = tfl.ActivationFunctionType.RELU6
        if act is None:
            return tfl.ActivationFunctionType.NONE, out_name
        self.absorbed.add(id(u))
        return act, u.output[0]

    @staticmethod
    def nhwc(shape):
        return [shape[0], shape[2], shape[3], shape[1]] if len(shape) == 4 else list(shape)

    def out(self, name, shape):
        t = self.tensor(self.nhwc(shape), name=name)
        self.tensors[name] = (t, shape)
        return t

    def padding(self, x, x_shape, pads, kernel, strides, dilations):
        """SAME or VALID, with a PAD operator in front where ONNX's explicit pads are neither."""
        if not any(pads):
            return tfl.Padding.VALID, x, x_shape
        h, w = x_shape[2], x_shape[3]
        same = []
        for size, k, s, d in ((h, kernel[0], strides[0], dilations[0]), (w, kernel[1], strides[1], dilations[1])):
            out = -(-size // s)
            total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
            same.append((total // 2, total - total // 2))
        if [same[0][0], same[1][0], same[0][1], same[1][1]] == list(pads):
            return tfl.Padding.SAME, x, x_shape
        top, left, bottom, right = pads
        shape = [x_shape[0], x_shape[1], h + top + bottom, w + left + right]
        paddings = np.array([[0, 0], [top, bottom], [left, right], [0, 0]], dtype=np.int32)
        p = self.tensor([4, 2], data=paddings, dtype=tfl.TensorType.INT32)
        y = self.tensor(self.nhwc(shape))
        self.op(tfl.BuiltinOperator.PAD, [x, p], [y], tfl.BuiltinOptions.PadOptions, tfl.PadOptionsT())
        return tfl.Padding.VALID, y, shape

    def convert(self):
        for i in self.graph.input:
            shape = [d.dim_value or 1 for d in i.type.tensor_type.shape.dim]  # a symbolic batch is 1
            self.sg.inputs.append(self.out(i.name, shape))
        for n in self.graph.node:
            a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
            if n.op_type == "Constant" or id(n) in self.absorbed:
                continue
            if n.op_type == "Conv":
                self.conv(n, a)
            elif n.op_type == "Gemm":
                self.gemm(n, a)
            elif n.op_type == "MaxPool":
                x, xs = self.tensors[n.input[0]]
                kernel, strides = a["kernel_shape"], a.get("strides", [1, 1])
                pad, x, xs = self.padding(x, xs, a.get("pads", [0, 0, 0, 0]), kernel, strides, [1, 1])
                shape = [xs[0], xs[1], (xs[2] - kernel[0]) // strides[0] + 1, (xs[3] - kernel[1]) // strides[1] + 1]
                o = tfl.Pool2DOptionsT()
                o.padding, o.strideH, o.strideW, o.filterHeight, o.filterWidth = pad, *strides, *kernel
                self.op(tfl.BuiltinOperator.MAX_POOL_2D, [x], [self.out(n.output[0], shape)],
                        tfl.BuiltinOptions.Pool2DOptions, o)
            elif n.op_type == "GlobalAveragePool":
                x, xs = self.tensors[n.input[0]]
                axes = self.tensor([2], data=np.array([1, 2], dtype=np.int32), dtype=tfl.TensorType.INT32)
                o = tfl.ReducerOptionsT()
                o.keepDims = True
                self.op(tfl.BuiltinOperator.MEAN, [x, axes], [self.out(n.output[0], [xs[0], xs[1], 1, 1])],
                        tfl.BuiltinOptions.ReducerOptions, o)
            elif n.op_type == "Add":
                (x, xs), (y, _) = self.tensors[n.input[0]], self.tensors[n.input[1]]
                act, name = self.activation_after(n.output[0])
                o = tfl.AddOptionsT()
                o.fusedActivationFunction = act
                self.op(tfl.BuiltinOperator.ADD, [x, y], [self.out(name, xs)], tfl.BuiltinOptions.AddOptions, o)
            elif n.op_type == "Flatten":
                x, xs = self.tensors[n.input[0]]
                shape = [xs[0], int(np.prod(xs[1:]))]
                s = self.tensor([2], data=np.array(shape, dtype=np.int32), dtype=tfl.TensorType.INT32)
                o = tfl.ReshapeOptionsT()
                o.newShape = shape
                t = self.out(n.output[0], shape)
                self.op(tfl.BuiltinOperator.RESHAPE, [x, s], [t], tfl.BuiltinOptions.ReshapeOptions, o)
                self.flattened = (n.output[0], xs)  # the next Gemm permutes its columns from CHW to HWC order
            elif n.op_type in ("Relu", "Clip"):
                x, xs = self.tensors[n.input[0]]
                code = tfl.BuiltinOperator.RELU if n.op_type == "Relu" else tfl.BuiltinOperator.RELU6
                self.op(code, [x], [self.out(n.output[0], xs)])
            else:
                raise SystemExit(f"tflm_lut.py: no conversion for ONNX {n.op_type}")
        self.sg.outputs.extend(self.tensors[o.name][0] for o in self.graph.output)
        model = me.Model(subgraphs=[self.sg])
        return model

    def batchnorm_after(self, out_name):
        users = self.consumers.get(out_name, [])
        if len(users) == 1 and users[0].op_type == "BatchNormalization":
            self.absorbed.add(id(users[0]))
            return users[0]
        return None

    def conv(self, n, a):
        x, xs = self.tensors[n.input[0]]
        w = self.consts[n.input[1]]
        b = self.consts[n.input[2]] if len(n.input) > 2 and n.input[2] else np.zeros(w.shape[0], np.float32)
        out_name = n.output[0]
        bn = self.batchnorm_after(out_name)
        if bn is not None:  # folded as TFLite's converter folds it
            g, beta, mean, var = (self.consts[bn.input[k]] for k in (1, 2, 3, 4))
            eps = next((attr.f for attr in bn.attribute if attr.name == "epsilon"), 1e-5)
            scale = g / np.sqrt(var + eps)
            w = w * scale[:, None, None, None]
            b = (b - mean) * scale + beta
            out_name = bn.output[0]
        act, name = self.activation_after(out_name)
        kernel, strides = list(w.shape[2:]), a.get("strides", [1, 1])
        dil, group = a.get("dilations", [1, 1]), a.get("group", 1)
        pad, x, xs = self.padding(x, xs, a.get("pads", [0, 0, 0, 0]), kernel, strides, dil)
        if pad == tfl.Padding.SAME:
            oh, ow = -(-xs[2] // strides[0]), -(-xs[3] // strides[1])
        else:
            oh = (xs[2] - (kernel[0] - 1) * dil[0] - 1) // strides[0] + 1
            ow = (xs[3] - (kernel[1] - 1) * dil[1] - 1) // strides[1] + 1
        shape = [xs[0], w.shape[0], oh, ow]
        bias = self.tensor([w.shape[0]], data=b.astype(np.float32))
        if group == 1:
            filt = self.tensor(list(w.transpose(0, 2, 3, 1).shape), data=np.ascontiguousarray(w.transpose(0, 2, 3, 1)))
            o = tfl.Conv2DOptionsT()
            code, otype = tfl.BuiltinOperator.CONV_2D, tfl.BuiltinOptions.Conv2DOptions
        elif group == xs[1]:  # depthwise: [C*m, 1, kh, kw] -> [1, kh, kw, C*m]
            filt = self.tensor([1, *kernel, w.shape[0]], data=np.ascontiguousarray(w.transpose(1, 2, 3, 0)))
            o = tfl.DepthwiseConv2DOptionsT()
            o.depthMultiplier = w.shape[0] // group
            code, otype = tfl.BuiltinOperator.DEPTHWISE_CONV_2D, tfl.BuiltinOptions.DepthwiseConv2DOptions
        else:
            raise SystemExit(f"tflm_lut.py: grouped Conv (group {group}) not converted")
        o.padding, o.strideH, o.strideW = pad, *strides
        o.dilationHFactor, o.dilationWFactor = dil
        o.fusedActivationFunction = act
        self.weights.append(filt)
        self.op(code, [x, filt, bias], [self.out(name, shape)], otype, o)

    def gemm(self, n, a):
        x, xs = self.tensors[n.input[0]]
        w = self.consts[n.input[1]]
        if not a.get("transB", 0):
            w = w.T
        if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            raise SystemExit("tflm_lut.py: Gemm with transA, alpha or beta not converted")
        flat = getattr(self, "flattened", None)
        if flat and flat[0] == n.input[0] and len(flat[1]) == 4:  # columns from C,H,W order to H,W,C order
            _, c, h, wd = flat[1]
            w = w.reshape(w.shape[0], c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
        b = self.consts[n.input[2]] if len(n.input) > 2 else np.zeros(w.shape[0], np.float32)
        act, name = self.activation_after(n.output[0])
        filt = self.tensor(list(w.shape), data=np.ascontiguousarray(w.astype(np.float32)))
        bias = self.tensor([w.shape[0]], data=b.astype(np.float32))
        o = tfl.FullyConnectedOptionsT()
        o.fusedActivationFunction = act
        self.weights.append(filt)
        self.op(tfl.BuiltinOperator.FULLY_CONNECTED, [x, filt, bias], [self.out(name, [xs[0], w.shape[0]])],
                tfl.BuiltinOptions.FullyConnectedOptions, o)


def kmeans_1d(values, k, iterations=100):
    """The best table of k values for one tensor (Lloyd's algorithm, started at quantiles)."""
    v = np.sort(values.ravel().astype(np.float64))
    centres = np.unique(np.quantile(v, (np.arange(k) + 0.5) / k))
    for _ in range(iterations):
        edges = (centres[1:] + centres[:-1]) / 2
        label = np.searchsorted(edges, v)
        new = np.array([v[label == j].mean() if np.any(label == j) else centres[j] for j in range(len(centres))])
        if np.allclose(new, centres):
            break
        centres = new
    edges = (centres[1:] + centres[:-1]) / 2
    return centres.astype(np.float32)[np.searchsorted(edges, values.ravel())].reshape(values.shape)


def tflm_lut(onnx_model, bits, x, labels, float_acc, scratch, name):
    """TFLM's LUT compression of the float model at `bits` bits: every Conv/FC weight tensor clustered to its best
    2^bits values, compressed with TFLM's tool (one table per tensor), run by TFLM's interpreter. Also the file with
    no tensor names. (TFLM's per-channel tables of float weights did not reproduce the clustered model in this TFLM
    version — logits off by up to 10 on LeNet — so they are not compared.)"""
    conv = Converter(onnx_model)
    model = conv.convert()
    specs = []
    for t in conv.weights:
        t.array = kmeans_1d(t.array, 2 ** bits)
        specs.append(tflm_spec.Tensor(subgraph=0, tensor=conv.sg.tensors.index(t),
                                      compression=[tflm_spec.LookUpTableCompression(index_bitwidth=bits,
                                                                                    mode=tflm_spec.PerTensor())]))
    clustered = bytes(model.build())
    lut = bytes(tflm_compress(clustered, specs))
    with open(os.path.join(scratch, f"{name}_lut{bits}.tflite"), "wb") as f:
        f.write(lut)
    out = tflm_outputs(lut, x)
    if not np.allclose(out, tflm_outputs(clustered, x), atol=1e-5):
        raise SystemExit(f"tflm_lut.py: {name}: TFLM's decoded LUT model differs from the clustered float model")
    for t in conv.sg.tensors:
        t.name = None
    unnamed = bytes(tflm_compress(bytes(model.build()), specs))
    acc = float(np.mean(out.argmax(1) == labels))
    return {"bits": bits, "bytes": len(lut), "unnamed_bytes": len(unnamed), "test_accuracy": round(acc, 6),
            "test_loss_points": round((float_acc - acc) * 100, 3)}


def tflm_outputs(model_bytes, x_nchw):
    interp = runtime.Interpreter.from_bytes(bytes(model_bytes))
    outs = []
    for row in x_nchw:
        interp.set_input(np.ascontiguousarray(row[None].transpose(0, 2, 3, 1)).astype(np.float32), 0)
        interp.invoke()
        outs.append(interp.get_output(0).reshape(-1).copy())
    return np.array(outs)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return p


def weightshare(wsc, fixtures, runs, name, model, shape, seed, float_acc, reuse):
    run_dir = os.path.join(runs, f"{name}-s{seed}")
    if not (reuse and os.path.exists(os.path.join(run_dir, "pareto.json"))):
        subprocess.run(["rm", "-rf", run_dir])
        # Smallest files: binary16 biases and scales (not the default, which holds better on test: README).
        run([wsc, "search", model, "--data", f"{fixtures}/digits_val.npz", "--out", run_dir, "--input-shape", shape,
             "--seed", str(seed), "--constants", "half"])
    c = json.loads(run([wsc, "compile", run_dir, "-o", os.path.join(run_dir, "out"), "--json"]).stdout)
    p = json.loads(run([wsc, "pareto", run_dir, "--data", f"{fixtures}/digits_test.npz", "--metric", "accuracy",
                        "--json"]).stdout)
    test = {h["id"]: h for h in p["heldOut"]}[c["solution"]]
    wsm = os.path.getsize(os.path.join(run_dir, "out", "model.wsm"))
    assert wsm == c["wsmBytes"], (wsm, c["wsmBytes"])
    # The same solution without the internal tensor and operator names (the same computation, bit for bit).
    s = json.loads(run([wsc, "compile", run_dir, "--solution", str(c["solution"]), "--strip-names",
                        "-o", os.path.join(run_dir, "stripped"), "--json"]).stdout)
    return {"seed": seed, "solution": c["solution"], "bits": c["bitWidth"], "wsm_bytes": wsm,
            "wsm_stripped_bytes": s["wsmBytes"], "packed_weight_bytes": c["packedWeightBytes"],
            "index_coding": c.get("indexCoding"), "test_accuracy": round(test["score"], 6),
            "test_loss_points": round((float_acc - test["score"]) * 100, 3)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsc", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--scratch", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--only", default="")
    ap.add_argument("--reuse-runs", action="store_true", help="keep the searches already in --scratch (compile and "
                    "score them again)")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    os.makedirs(args.scratch, exist_ok=True)
    test = np.load(os.path.join(args.fixtures, "digits_test.npz"))
    result = {"what": "whole-file sizes at <= 1 point test loss: WeightShare .wsm (default search and compile) "
                      "against TFLM's LUT compression (per-tensor k-means tables; 4-bit, and the smallest width within a point) of "
                      "the same float model",
              "test_data": "digits_test.npz (360)",
              "tflite_micro": importlib.metadata.version("tflite-micro"), "fixtures": {}}
    started = time.time()
    for name, rel, shape in FIXTURES:
        if only and name not in only:
            continue
        path = os.path.join(args.fixtures, rel)
        onnx_model = onnx.load(path)
        x = test["x"].astype(np.float32).reshape(-1, *[int(d) for d in shape.split("=")[1].split(",")][1:])
        labels = test["y"].astype(np.int64)
        sess = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        ref = np.concatenate([sess.run(None, {sess.get_inputs()[0].name: x[i:i + 1]})[0] for i in range(len(x))])
        float_acc = float(np.mean(ref.argmax(1) == labels))

        conv = Converter(onnx_model)
        tfl_model = conv.convert()
        float_bytes = bytes(tfl_model.build())
        out = tflm_outputs(float_bytes, x)
        fidelity = {"max_abs_diff_vs_onnxruntime": float(np.abs(out - ref).max()),
                    "argmax_agreement": float(np.mean(out.argmax(1) == ref.argmax(1)))}
        if fidelity["argmax_agreement"] < 1.0 or fidelity["max_abs_diff_vs_onnxruntime"] > 1e-3:
            raise SystemExit(f"tflm_lut.py: {name}: the TFLite conversion does not reproduce onnxruntime: {fidelity}")

        lut = tflm_lut(onnx_model, 4, x, labels, float_acc, args.scratch, name)
        lut_bytes = lut["bytes"]
        # The smallest TFLM LUT width that holds within a point on test (TFLM's LUT indices are 1-7 bits).
        holding_lut = lut if lut["test_loss_points"] <= 1.0 + 1e-9 else None
        for bits in range(5, 8):
            if holding_lut:
                break
            wider = tflm_lut(onnx_model, bits, x, labels, float_acc, args.scratch, name)
            holding_lut = wider if wider["test_loss_points"] <= 1.0 + 1e-9 else None

        ws = [weightshare(args.wsc, args.fixtures, args.scratch, name, path, shape, int(s), float_acc, args.reuse_runs)
              for s in args.seeds.split(",")]
        holding = [r for r in ws if r["test_loss_points"] <= 1.0 + 1e-9]
        entry = {
            "weights": int(sum(np.prod(t.shape) for t in conv.weights)),
            "float_test_accuracy": round(float_acc, 6),
            "tflite_float_bytes": len(float_bytes), "tflite_float_fidelity": fidelity,
            "tflm_lut4": lut,
            "tflm_smallest_holding_lut": holding_lut,
            "wsm_over_holding_lut_median": round(statistics.median(r["wsm_bytes"] for r in ws) / holding_lut["bytes"], 4)
            if holding_lut else None,
            "wsm_stripped_over_holding_lut_median": round(statistics.median(r["wsm_stripped_bytes"] for r in ws)
                                                          / holding_lut["bytes"], 4) if holding_lut else None,
            "weightshare_runs": ws,
            "weightshare_holding_runs": len(holding),
            "weightshare_wsm_bytes_median": statistics.median(r["wsm_bytes"] for r in ws),
            "weightshare_wsm_bytes_min_max": [min(r["wsm_bytes"] for r in ws), max(r["wsm_bytes"] for r in ws)],
            "wsm_over_lut4_median": round(statistics.median(r["wsm_bytes"] for r in ws) / lut_bytes, 4),
            "wsm_stripped_over_lut4_median": round(statistics.median(r["wsm_stripped_bytes"] for r in ws)
                                                   / lut_bytes, 4),
            "wsm_stripped_over_lut4_unnamed_median": round(statistics.median(r["wsm_stripped_bytes"] for r in ws)
                                                           / lut["unnamed_bytes"], 4),
            "packed_weights_over_lut4_median": round(statistics.median(r["packed_weight_bytes"] for r in ws)
                                                     / lut_bytes, 4),
            "wsm_over_lut4_max_holding": round(max(r["wsm_bytes"] for r in holding) / lut_bytes, 4)
            if holding else None,
        }
        result["fixtures"][name] = entry
        print(f"{name}: float .tflite {len(float_bytes)} B, TFLM LUT4 {lut_bytes} B "
              f"(test loss {lut['test_loss_points']} pts); .wsm median {entry['weightshare_wsm_bytes_median']} B "
              f"(x{entry['wsm_over_lut4_median']} of LUT4; --strip-names x{entry['wsm_stripped_over_lut4_median']}), "
              f"{len(holding)}/{len(ws)} runs hold", file=sys.stderr)
    result["seconds"] = round(time.time() - started, 1)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
