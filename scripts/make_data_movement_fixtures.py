#!/usr/bin/env python3
"""Makes the data-movement test models in Tests/Fixtures/datamove/ (deterministic: rerunning gives identical bytes).

Split/Slice/Gather/Expand/Tile/DepthToSpace/SpaceToDepth/Squeeze/Cast on run-time tensors and attention (MatMul of
two activations), in the shapes shipped models use them (a YOLOv8 C2f block, multi-head attention with the
Shape -> Gather -> Concat -> Reshape chain of torch exports). Each case is an ONNX model built with onnx.helper
(one float32 input `x`, one output `y`) and <case>.npz holding a seeded random input `x` and onnxruntime's (one
thread) output `y`; `cases.json` lists them for Tests/WeightShareTests/LoweringDataMovementTests.swift.

Usage: /work/venv-torch/bin/python scripts/make_data_movement_fixtures.py   (needs numpy, onnx, onnxruntime)
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import json  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

ort.set_default_logger_severity(3)
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "datamove")
SEED = 20261207
INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min

rng = np.random.default_rng(SEED)
os.makedirs(OUT, exist_ok=True)
cases = []


def rand(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def ints(*v):
    return np.array(v, dtype=np.int64)


class Case:
    def __init__(self, name, x_shape, opset=13):
        self.name, self.x_shape, self.opset = name, list(x_shape), opset
        self.nodes, self.inits, self.count = [], [], 0

    def const(self, array):
        name = f"c{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, outputs=1, **attrs):
        """Adds a node; returns its output name, or a list of them when outputs > 1."""
        self.count += 1
        names = [f"t{self.count}_{k}" for k in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, name=f"{op.lower()}_{self.count}", **attrs))
        return names[0] if outputs == 1 else names

    def finish(self):
        # The last node's first output is renamed `y`.
        self.nodes[-1].output[0] = "y"
        x = rand(*self.x_shape)
        y = None
        for _ in range(2):  # the second pass declares the output shape onnxruntime computed
            out_shape = None if y is None else list(y.shape)
            graph = helper.make_graph(self.nodes, self.name,
                                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, self.x_shape)],
                                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], self.inits)
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                      producer_name="make_data_movement_fixtures")
            model.ir_version = 8
            data = model.SerializeToString()
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
            (y,) = session.run(None, {"x": x})
        onnx.checker.check_model(model)
        with open(os.path.join(OUT, f"{self.name}.onnx"), "wb") as f:
            f.write(data)
        np.savez(os.path.join(OUT, f"{self.name}.npz"), x=x, y=y.astype(np.float32))
        cases.append({"name": self.name, "opset": self.opset, "input_shape": self.x_shape,
                      "output_shape": list(y.shape), "ops": sorted({n.op_type for n in self.nodes})})


def conv(c, x, cin, cout, k):
    w = c.const(rand(cout, cin, k, k, scale=0.4))
    b = c.const(rand(cout, scale=0.1))
    return c.node("Conv", [x, w, b], pads=[k // 2] * 4)


def silu(c, x):
    return c.node("Mul", [x, c.node("Sigmoid", [x])])


# A YOLOv8 C2f block: conv, Split in two halves, a bottleneck on the second, Concat of all three, conv.
c = Case("c2f_split", [1, 8, 6, 6])
h = silu(c, conv(c, "x", 8, 8, 1))
a, b = c.node("Split", [h, c.const(ints(4, 4))], outputs=2, axis=1)
m = silu(c, conv(c, silu(c, conv(c, b, 4, 4, 3)), 4, 4, 3))
m = c.node("Add", [b, m])
cat = c.node("Concat", [a, b, m], axis=1)
silu(c, conv(c, cat, 12, 8, 1))
c.finish()

# Split by attribute (opset 11), uneven, on a negative axis; one output is never read.
c = Case("split_attribute_opset11", [2, 3, 6], opset=11)
p, q, r = c.node("Split", ["x"], outputs=3, axis=-1, split=[2, 3, 1])
c.node("Concat", [r, p], axis=2)
c.finish()

# Split into equal parts (no sizes), opset 13, axis 0.
c = Case("split_equal_opset13", [4, 3])
p, q = c.node("Split", ["x"], outputs=2)
c.node("Sub", [q, p])
c.finish()

# Split with num_outputs (opset 18): 7 into 3, 3, 1.
c = Case("split_num_outputs_opset18", [2, 7], opset=18)
p, q, r = c.node("Split", ["x"], outputs=3, axis=1, num_outputs=3)
c.node("Concat", [r, p, q], axis=1)
c.finish()

# Slice with negative steps, INT64_MIN/INT64_MAX ends, clamped starts (opset 13).
c = Case("slice_negative_steps", [5, 6, 7])
c.node("Slice", ["x", c.const(ints(-1, 100, 1)), c.const(ints(INT64_MIN, -100, INT64_MAX)),
                 c.const(ints(0, 1, -1)), c.const(ints(-2, -1, 3))])
c.finish()

# Slice by attributes (opset 9) on an activation, then Squeeze of the sliced axis.
c = Case("slice_attributes_opset9", [3, 8, 4], opset=9)
s = c.node("Slice", [c.node("Relu", ["x"])], starts=[2, -3], ends=[3, 1000], axes=[0, 1])
c.node("Squeeze", [s], axes=[0])
c.finish()

# Gather: a scalar index removes the axis; 2-D indices with repeats and negatives; evenly spaced ones.
c = Case("gather_scalar_index", [2, 5, 3])
c.node("Gather", ["x", c.const(np.array(-2, dtype=np.int64))], axis=1)
c.finish()
c = Case("gather_2d_indices", [3, 6])
c.node("Gather", ["x", c.const(np.array([[0, -1], [3, 3]], dtype=np.int64))], axis=1)
c.finish()
c = Case("gather_evenly_spaced", [4, 7, 2])
c.node("Gather", ["x", c.const(ints(6, 4, 2, 0))], axis=1)
c.finish()

# Expand (bidirectional broadcast: the shape's 1 keeps X's dim) then Tile.
c = Case("expand_tile", [3, 1])
e = c.node("Expand", ["x", c.const(ints(2, 1, 4))])
c.node("Tile", [e, c.const(ints(1, 2, 3))])
c.finish()

# DepthToSpace (DCR and CRD) and SpaceToDepth, PixelShuffle style.
c = Case("depth_to_space_dcr", [1, 8, 2, 3])
c.node("DepthToSpace", [c.node("Relu", ["x"])], blocksize=2, mode="DCR")
c.finish()
c = Case("depth_to_space_crd", [2, 8, 3, 2])
c.node("DepthToSpace", ["x"], blocksize=2, mode="CRD")
c.finish()
c = Case("space_to_depth", [1, 2, 4, 6])
s2d = c.node("SpaceToDepth", ["x"], blocksize=2)
c.node("DepthToSpace", [c.node("Relu", [s2d])], blocksize=2, mode="DCR")
c.finish()

# Squeeze, Unsqueeze and Flatten of run-time tensors (reshapes).
c = Case("squeeze_unsqueeze_flatten", [1, 3, 1, 4])
s = c.node("Squeeze", [c.node("Tanh", ["x"]), c.const(ints(0, 2))])
u = c.node("Unsqueeze", [s, c.const(ints(1, -1))])
c.node("Flatten", [u], axis=2)
c.finish()

# Casts: a mask to float and to int32 (0/1 stays), float data to bool.
c = Case("cast_masks", [3, 4])
mask = c.node("Greater", ["x", c.const(np.float32(0.25))])
as_float = c.node("Cast", [mask], to=TensorProto.FLOAT)
as_int = c.node("Cast", [c.node("Cast", [mask], to=TensorProto.INT32)], to=TensorProto.FLOAT)
nonzero = c.node("Cast", [c.node("Cast", [c.node("Relu", ["x"])], to=TensorProto.BOOL)], to=TensorProto.FLOAT)
c.node("Add", [c.node("Add", [c.node("Mul", ["x", as_float]), as_int]), nonzero])
c.finish()

# Multi-head self-attention as torch exports it: projections by constant weights, the head split by
# Shape -> Gather -> Unsqueeze -> Concat -> Reshape, Q·Kᵀ (both activations), Softmax, ·V, merge, output projection.
T, D, H = 5, 8, 2
c = Case("attention", [1, T, D])
shape = c.node("Shape", ["x"])
batch = c.node("Unsqueeze", [c.node("Gather", [shape, c.const(np.array(0, dtype=np.int64))], axis=0),
                             c.const(ints(0))])
tokens = c.node("Unsqueeze", [c.node("Gather", [shape, c.const(np.array(1, dtype=np.int64))], axis=0),
                              c.const(ints(0))])
heads = c.node("Concat", [batch, tokens, c.const(ints(H, D // H))], axis=0)


def project(name):
    p = c.node("MatMul", ["x", c.const(rand(D, D, scale=0.5))])
    return c.node("Transpose", [c.node("Reshape", [p, heads])], perm=[0, 2, 1, 3])  # [1, H, T, D/H]


q, k, v = project("q"), project("k"), project("v")
kt = c.node("Transpose", [k], perm=[0, 1, 3, 2])
scores = c.node("Div", [c.node("MatMul", [q, kt]), c.const(np.float32(np.sqrt(D // H)))])
attn = c.node("MatMul", [c.node("Softmax", [scores], axis=-1), v])
merged = c.node("Reshape", [c.node("Transpose", [attn], perm=[0, 2, 1, 3]),
                            c.node("Concat", [batch, tokens, c.const(ints(D))], axis=0)])
c.node("MatMul", [merged, c.const(rand(D, D, scale=0.5))])
c.finish()

with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump({"generator": "scripts/make_data_movement_fixtures.py", "seed": SEED, "cases": cases}, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases to {OUT}")
