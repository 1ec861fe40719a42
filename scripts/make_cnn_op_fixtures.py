#!/usr/bin/env python3
"""Makes the per-operator CNN test models in Tests/Fixtures/ops/ (deterministic: rerunning gives identical bytes).

Each case is a tiny ONNX model built with onnx.helper (one float32 input `x`, one output `y`) and
<case>.npz holding a seeded random input `x` and onnxruntime's (one thread) output `y`. `cases.json` lists every
case with its opset, input shape, output shape and the ops it uses, for the Swift tests
(Tests/WeightShareTests/LoweringCNN*.swift).

Usage: python3 scripts/make_cnn_op_fixtures.py   (needs numpy, onnx, onnxruntime)
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
OUT = os.path.join(ROOT, "Tests", "Fixtures", "ops")
SEED = 20261129

rng = np.random.default_rng(SEED)
os.makedirs(OUT, exist_ok=True)
cases = []


def rand(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


class Case:
    def __init__(self, name, x_shape, opset=13):
        self.name, self.x_shape, self.opset = name, list(x_shape), opset
        self.nodes, self.inits, self.count = [], [], 0

    def const(self, array, name=None):
        name = name or f"c{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, out=None, **attrs):
        self.count += 1
        out = out or f"t{self.count}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"{op.lower()}_{self.count}", **attrs))
        return out

    def finish(self, last):
        # The final value is renamed `y`.
        self.nodes[-1].output[0] = "y"
        x = rand(*self.x_shape)
        y = None
        for _ in range(2):  # the second pass declares the output shape onnxruntime computed
            out_shape = None if y is None else list(y.shape)
            graph = helper.make_graph(self.nodes, self.name,
                                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, self.x_shape)],
                                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], self.inits)
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                      producer_name="make_cnn_op_fixtures")
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


def single(name, x_shape, op, consts=(), opset=13, **attrs):
    c = Case(name, x_shape, opset)
    inputs = ["x"] + [("" if a is None else c.const(a)) for a in consts]
    c.finish(c.node(op, inputs, **attrs))


# Conv
single("conv2d_basic", [1, 3, 6, 6], "Conv", [rand(4, 3, 3, 3), rand(4)], pads=[1, 1, 1, 1])
single("conv2d_strides_dilations", [1, 2, 9, 8], "Conv", [rand(3, 2, 3, 2)], strides=[2, 1], dilations=[2, 2],
       pads=[1, 0, 2, 1])
single("conv2d_same_upper", [1, 2, 7, 6], "Conv", [rand(3, 2, 3, 3), rand(3)], strides=[2, 2], auto_pad="SAME_UPPER")
single("conv2d_same_lower", [1, 2, 7, 6], "Conv", [rand(3, 2, 4, 4), rand(3)], strides=[2, 2], auto_pad="SAME_LOWER")
single("conv2d_valid", [2, 2, 5, 6], "Conv", [rand(2, 2, 3, 3), rand(2)], auto_pad="VALID")
single("conv2d_group", [1, 4, 5, 5], "Conv", [rand(6, 2, 3, 3), rand(6)], group=2, pads=[1, 1, 1, 1])
single("conv2d_depthwise", [1, 4, 6, 6], "Conv", [rand(8, 1, 3, 3), rand(8)], group=4, strides=[2, 2],
       pads=[1, 1, 1, 1])
single("conv1d", [1, 3, 10], "Conv", [rand(4, 3, 3), rand(4)], strides=[2], pads=[1, 2])
single("conv_transpose", [1, 3, 4, 4], "ConvTranspose", [rand(3, 2, 3, 3), rand(2)], strides=[2, 2],
       pads=[1, 1, 1, 1], output_padding=[1, 1])
single("conv_transpose_output_shape", [1, 4, 3, 3], "ConvTranspose", [rand(4, 1, 3, 3)], group=2, strides=[2, 2],
       output_shape=[5, 5])
# Pools
single("maxpool2d", [1, 2, 7, 7], "MaxPool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
single("maxpool2d_ceil_dilations", [1, 2, 8, 9], "MaxPool", opset=13, kernel_shape=[2, 3], strides=[2, 2],
       dilations=[2, 1], ceil_mode=1)
single("maxpool1d", [1, 3, 9], "MaxPool", kernel_shape=[3], strides=[2], pads=[1, 0])
single("maxpool2d_same_upper", [1, 2, 5, 6], "MaxPool", kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")
single("avgpool2d_exclude_pad", [1, 2, 7, 6], "AveragePool", kernel_shape=[3, 3], strides=[2, 2],
       pads=[1, 1, 1, 1])
single("avgpool2d_include_pad_ceil", [1, 2, 6, 7], "AveragePool", kernel_shape=[3, 3], strides=[2, 2],
       pads=[1, 1, 1, 1], count_include_pad=1, ceil_mode=1)
single("avgpool1d", [2, 2, 8], "AveragePool", kernel_shape=[2], strides=[2])
single("global_avgpool", [1, 3, 5, 4], "GlobalAveragePool")
# Element-wise
c = Case("sub_mul_div_broadcast", [1, 3, 4, 4])
t = c.node("Sub", ["x", c.const(rand(3, 1, 1))])
t = c.node("Mul", [t, c.const(rand(4))])
t = c.node("Div", [t, c.const(rand(1, 1, 1) + 3)])
c.finish(t)
c = Case("add_two_activations", [2, 3, 4])
t = c.node("Relu", ["x"])
c.finish(c.node("Add", [t, "x"]))
single("clip_relu6", [1, 3, 4, 4], "Clip", [np.float32(0), np.float32(6)], opset=13)
single("clip_min_only", [2, 5], "Clip", [np.float32(-0.5)], opset=13)
single("clip_opset6", [2, 5], "Clip", opset=6, min=-0.25, max=0.75)
single("leaky_relu", [2, 3, 4], "LeakyRelu", alpha=0.2)
single("prelu", [1, 3, 4, 4], "PRelu", [rand(3, 1, 1)])
single("sigmoid", [2, 7], "Sigmoid")
single("tanh", [2, 7], "Tanh")
single("hard_sigmoid", [2, 7], "HardSigmoid", alpha=0.3, beta=0.4)
single("hard_swish", [2, 3, 5], "HardSwish", opset=14)
single("softmax_axis1", [1, 3, 2, 2], "Softmax", axis=1)
# Layout
c = Case("concat_axis1", [1, 2, 3, 3])
t = c.node("Relu", ["x"])
c.finish(c.node("Concat", ["x", t, c.const(rand(1, 1, 3, 3))], axis=1))
c = Case("flatten_squeeze_unsqueeze", [1, 3, 1, 4])
t = c.node("Squeeze", ["x", c.const(np.array([2], dtype=np.int64))])
t = c.node("Unsqueeze", [t, c.const(np.array([0, -1], dtype=np.int64))])
t = c.node("Flatten", [t], axis=2)
c.finish(t)
c = Case("squeeze_unsqueeze_opset11", [1, 3, 1, 4], opset=11)
t = c.node("Squeeze", ["x"], axes=[0, 2])
t = c.node("Unsqueeze", [t], axes=[1])
c.finish(c.node("Relu", [t]))
single("transpose_nhwc", [1, 3, 4, 2], "Transpose", perm=[0, 2, 3, 1])
single("transpose_default", [2, 3, 4], "Transpose")
# Pad
single("pad_constant", [1, 2, 3, 3], "Pad", [np.array([0, 0, 1, 2, 0, 0, 2, 1], dtype=np.int64), np.float32(0.5)],
       mode="constant")
single("pad_reflect", [1, 2, 4, 4], "Pad", [np.array([0, 0, 2, 1, 0, 0, 1, 3], dtype=np.int64)], mode="reflect")
single("pad_edge", [1, 2, 3, 3], "Pad", [np.array([0, 0, 2, 1, 0, 0, 1, 2], dtype=np.int64)], mode="edge")
single("pad_opset10_attributes", [2, 3], "Pad", opset=10, pads=[1, 0, 0, 2], value=-1.0)
# Resize
EMPTY = np.zeros([0], dtype=np.float32)
single("resize_nearest_asymmetric", [1, 2, 3, 4], "Resize", [EMPTY, np.array([1, 1, 2, 2], dtype=np.float32)],
       mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
single("resize_nearest_half_pixel", [1, 2, 4, 6], "Resize", [EMPTY, np.array([1, 1, 1.5, 0.5], dtype=np.float32)],
       mode="nearest")
single("resize_nearest_ceil_sizes", [1, 1, 3, 3], "Resize",
       [EMPTY, None, np.array([1, 1, 5, 7], dtype=np.int64)], mode="nearest", nearest_mode="ceil",
       coordinate_transformation_mode="pytorch_half_pixel")
single("resize_linear_half_pixel", [1, 2, 3, 4], "Resize", [EMPTY, np.array([1, 1, 2, 1.5], dtype=np.float32)],
       mode="linear")
single("resize_linear_align_corners", [1, 2, 3, 3], "Resize", [EMPTY, None, np.array([1, 2, 5, 4], dtype=np.int64)],
       mode="linear", coordinate_transformation_mode="align_corners")
single("resize_linear_pytorch_half_pixel", [1, 1, 4, 4], "Resize",
       [EMPTY, np.array([1, 1, 0.5, 2], dtype=np.float32)], mode="linear",
       coordinate_transformation_mode="pytorch_half_pixel")


# BatchNormalization
def bn_params(c, channels):
    return [c.const(rand(channels) + 1), c.const(rand(channels)), c.const(rand(channels) * 0.5),
            c.const(np.abs(rand(channels)) + 0.2)]


c = Case("bn_after_conv", [1, 3, 6, 6])
t = c.node("Conv", ["x", c.const(rand(4, 3, 3, 3)), c.const(rand(4))], pads=[1, 1, 1, 1])
t = c.node("BatchNormalization", [t] + bn_params(c, 4), epsilon=1e-3)
c.finish(c.node("Relu", [t]))
c = Case("bn_after_conv_no_bias_depthwise", [1, 4, 5, 5])
t = c.node("Conv", ["x", c.const(rand(4, 1, 3, 3))], group=4, pads=[1, 1, 1, 1])
c.finish(c.node("BatchNormalization", [t] + bn_params(c, 4)))
c = Case("bn_after_conv_transpose", [1, 4, 3, 3])
t = c.node("ConvTranspose", ["x", c.const(rand(4, 3, 2, 2)), c.const(rand(6))], group=2, strides=[2, 2])
c.finish(c.node("BatchNormalization", [t] + bn_params(c, 6)))
c = Case("bn_after_gemm", [2, 5])
t = c.node("Gemm", ["x", c.const(rand(3, 5)), c.const(rand(3))], transB=1, alpha=0.5, beta=2.0)
c.finish(c.node("BatchNormalization", [t] + bn_params(c, 3)))
c = Case("bn_alone", [1, 3, 4, 4])
t = c.node("Relu", ["x"])
c.finish(c.node("BatchNormalization", [t] + bn_params(c, 3)))
c = Case("bn_conv_output_used_twice", [1, 2, 4, 4])
t = c.node("Conv", ["x", c.const(rand(2, 2, 1, 1))])
u = c.node("BatchNormalization", [t] + bn_params(c, 2))
c.finish(c.node("Add", [t, u]))
# Shape arithmetic as torch exports x.view(x.size(0), -1)
c = Case("shape_gather_reshape", [2, 3, 2, 2])
t = c.node("Conv", ["x", c.const(rand(2, 3, 1, 1))])
s = c.node("Shape", [t])
g = c.node("Gather", [s, c.const(np.array(0, dtype=np.int64))], axis=0)
u = c.node("Unsqueeze", [g, c.const(np.array([0], dtype=np.int64))])
cat = c.node("Concat", [u, c.const(np.array([-1], dtype=np.int64))], axis=0)
c.finish(c.node("Reshape", [t, cat]))
c = Case("shape_slice_cast_range", [1, 2, 3, 4])
s = c.node("Shape", ["x"])
sl = c.node("Slice", [s, c.const(np.array([2], dtype=np.int64)), c.const(np.array([4], dtype=np.int64))])
f = c.node("Cast", [sl], to=1)
h = c.node("Div", [f, c.const(np.array([3.0, 4.0], dtype=np.float32))])
r = c.node("Range", [c.const(np.float32(0)), c.const(np.float32(4)), c.const(np.float32(1))])
w = c.node("Mul", [r, c.node("Gather", [h, c.const(np.array(1, dtype=np.int64))])])
k = c.node("ConstantOfShape", [c.node("Shape", [w])], value=numpy_helper.from_array(np.array([1.0], np.float32)))
c.finish(c.node("Add", ["x", c.node("Mul", [w, k])]))

# Odd total padding: SAME_UPPER puts the extra row/column at the end (onnxruntime and the ONNX spec agree).
single("conv_transpose_same_upper", [1, 2, 3, 3], "ConvTranspose", [rand(2, 2, 3, 3), rand(2)], strides=[2, 2],
       auto_pad="SAME_UPPER")
single("resize_opset10_nearest", [1, 2, 2, 3], "Resize", [np.array([1, 1, 2, 3], dtype=np.float32)], opset=10,
       mode="nearest")
single("resize_opset10_linear", [1, 1, 3, 3], "Resize", [np.array([1, 1, 2, 2], dtype=np.float32)], opset=10,
       mode="linear")

# MatMul with NumPy semantics: a batched constant B (rank 3; rank 4 broadcast against A's batch dims), and B an
# activation (x times its own transpose).
single("matmul_batched_b", [2, 3, 4], "MatMul", [rand(2, 4, 5)])
single("matmul_broadcast_4d", [2, 1, 3, 4], "MatMul", [rand(3, 4, 2)])
mm = Case("matmul_activation_b", [2, 3, 4])
mm.finish(mm.node("MatMul", ["x", mm.node("Transpose", ["x"], perm=[0, 2, 1])]))

with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump({"seed": SEED, "onnx": onnx.__version__, "onnxruntime": ort.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases to {OUT}")
