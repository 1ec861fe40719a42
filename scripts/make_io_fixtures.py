#!/usr/bin/env python3
"""Writes Tests/Fixtures/io: a small recurrent cell with several inputs and outputs, and an If on an int64 input.

stateful_cell.onnx (opset 13): inputs x [1,16] float, state [1,8] float, sr [] int64; outputs logits [1,3] and
state_out [1,8]. `If(sr == 16000)` chooses the input scale (1.0, else 0.5), as streaming audio models choose
their front end by sample rate; h = tanh(scale·x·W + state·R + b) is the new state, logits = h·V + c.

stateful_cell_io.npz: x [n,1,16], state [n,1,8] (random), y [n] (labels: the float model's top-1 at
sr=16000, so accuracy is meaningful), and onnxruntime's outputs:
- logits_16k/state_16k: each sample alone, sr = 16000; logits_8k/state_8k: sr = 8000 (the else branch);
- logits_free/state_free: free-running at sr = 16000, state of sample i+1 = state_out of sample i (the first
  sample's state from the data).
Deterministic (seeded); needs numpy, onnx, onnxruntime.
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "io")


def branch(name, value):
    const = helper.make_node("Constant", [], [f"{name}_scale"],
                             value=numpy_helper.from_array(np.array([value], np.float32)))
    return helper.make_graph([const], name, [], [helper.make_tensor_value_info(f"{name}_scale", TensorProto.FLOAT, [1])])


def model(rng):
    w = rng.normal(0, 0.4, (16, 8)).astype(np.float32)
    r = rng.normal(0, 0.3, (8, 8)).astype(np.float32)
    b = rng.normal(0, 0.1, (8,)).astype(np.float32)
    v = rng.normal(0, 0.5, (8, 3)).astype(np.float32)
    c = rng.normal(0, 0.1, (3,)).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(w, "W"), (r, "R"), (b, "B"), (v, "V"), (c, "C"), (np.array(16000, np.int64), "rate_16k")]]
    nodes = [
        helper.make_node("Equal", ["sr", "rate_16k"], ["is_16k"], name="rate_check"),
        helper.make_node("If", ["is_16k"], ["scale"], name="front_end",
                         then_branch=branch("then", 1.0), else_branch=branch("else", 0.5)),
        helper.make_node("Mul", ["x", "scale"], ["xs"], name="scale_input"),
        helper.make_node("MatMul", ["xs", "W"], ["xw"], name="input_weights"),
        helper.make_node("MatMul", ["state", "R"], ["sr_"], name="recurrent_weights"),
        helper.make_node("Add", ["xw", "sr_"], ["pre0"]),
        helper.make_node("Add", ["pre0", "B"], ["pre"]),
        helper.make_node("Tanh", ["pre"], ["state_out"], name="new_state"),
        helper.make_node("MatMul", ["state_out", "V"], ["lv"], name="head"),
        helper.make_node("Add", ["lv", "C"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "stateful_cell",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16]),
         helper.make_tensor_value_info("state", TensorProto.FLOAT, [1, 8]),
         helper.make_tensor_value_info("sr", TensorProto.INT64, [])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3]),
         helper.make_tensor_value_info("state_out", TensorProto.FLOAT, [1, 8])],
        inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_io_fixtures")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261207)
    m = model(rng)
    path = os.path.join(OUT, "stateful_cell.onnx")
    onnx.save(m, path)
    n = 64
    x = rng.normal(0, 1, (n, 1, 16)).astype(np.float32)
    state = rng.uniform(-1, 1, (n, 1, 8)).astype(np.float32)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])

    def run(i, s, rate):
        return session.run(None, {"x": x[i], "state": s, "sr": np.array(rate, np.int64)})

    per16 = [run(i, state[i], 16000) for i in range(n)]
    per8 = [run(i, state[i], 8000) for i in range(n)]
    free, s = [], state[0]
    for i in range(n):
        out = run(i, s, 16000)
        free.append(out)
        s = out[1]
    logits = np.stack([o[0] for o in per16])
    np.savez(os.path.join(OUT, "stateful_cell_io.npz"), x=x, state=state, y=logits.reshape(n, 3).argmax(1),
             logits_16k=logits, state_16k=np.stack([o[1] for o in per16]),
             logits_8k=np.stack([o[0] for o in per8]), state_8k=np.stack([o[1] for o in per8]),
             logits_free=np.stack([o[0] for o in free]), state_free=np.stack([o[1] for o in free]))
    # The same data with one input's array missing, and with row counts that differ.
    np.savez(os.path.join(OUT, "stateful_cell_missing_state.npz"), x=x)
    np.savez(os.path.join(OUT, "stateful_cell_rows_differ.npz"), x=x, state=state[:10])
    print("wrote", OUT)


if __name__ == "__main__":
    main()
