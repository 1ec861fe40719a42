#!/usr/bin/env python3
"""Makes the recurrent-layer models of Tests/Fixtures/rnn/ (deterministic: rerunning gives identical bytes).

Three small torch modules exported with torch.onnx.export (dynamo=False, opset 14), weights seeded:

- `lstm_stream`: a streaming voice-activity-style model. Inputs `x` [T=5, B=1, I=8] and the recurrent state
  `h0`, `c0` [2, 1, 6] (graph inputs, as a streaming model feeds them back); a bidirectional LSTM (hidden 6), a
  Linear over its Y; outputs `y` [5, 1, 3], `hn` and `cn` [2, 1, 6] (the new state, graph outputs).
- `gru_bidir`: a bidirectional GRU (hidden 5, torch's linear_before_reset = 1) over `x` [B=2, T=4, I=3]
  (batch_first) followed by a Linear: output `y` [2, 4, 2] and `hn` [2, 2, 5].
- `lstm_classifier`: one input `x` [T=6, B=1, I=4], a forward LSTM (hidden 8) and a Linear on its final state:
  output `y` [1, 3] (single input and output, for `wsc search`), plus `val.npz` (32 samples `x`, labels `y`).

torch builds the zero initial state of an RNN without one from the input's shape (Shape, Gather, Concat, Expand);
onnxruntime's basic graph optimisations (constant folding, standard ONNX operators only) fold that into a constant
before the model is saved, since Expand is not an operator WeightShare lowers.

For each model, <name>.onnx and <name>.npz: the inputs (by graph input name) and onnxruntime's outputs (one
thread; by graph output name). Usage: /work/venv-torch/bin/python scripts/make_rnn_fixtures.py (needs torch, onnx,
onnxruntime, numpy; torch only here, never in the tests).
"""
import io
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "rnn")
SEED = 20261207
torch.manual_seed(SEED)
torch.set_num_threads(1)
rng = np.random.default_rng(SEED)
os.makedirs(OUT, exist_ok=True)


class LstmStream(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.LSTM(8, 6, bidirectional=True)
        self.head = torch.nn.Linear(12, 3)

    def forward(self, x, h0, c0):
        y, (hn, cn) = self.rnn(x, (h0, c0))
        return self.head(y), hn, cn


class GruBidir(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.GRU(3, 5, bidirectional=True, batch_first=True)
        self.head = torch.nn.Linear(10, 2)

    def forward(self, x):
        y, hn = self.rnn(x)
        return self.head(y), hn


class LstmClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.LSTM(4, 8)
        self.head = torch.nn.Linear(8, 3)

    def forward(self, x):
        _, (hn, _) = self.rnn(x)  # Y unused: the operator writes only Y_h (and Y_c into the arena)
        return self.head(hn.reshape(1, 8))


def export(name, module, inputs, input_names, output_names):
    module.eval()
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, tuple(torch.from_numpy(a) for a in inputs), buffer, input_names=input_names,
                          output_names=output_names, opset_version=14, dynamo=False)
    folding = ort.SessionOptions()
    folding.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    folding.optimized_model_filepath = os.path.join(OUT, name + ".folded.onnx")
    ort.InferenceSession(buffer.getvalue(), folding, providers=["CPUExecutionProvider"])
    model = onnx.load(folding.optimized_model_filepath)
    os.remove(folding.optimized_model_filepath)
    model.producer_name, model.producer_version = "torch+onnxruntime-basic-folding", ""
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(data)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    outputs = session.run(None, dict(zip(input_names, inputs)))
    arrays = dict(zip(input_names, inputs))
    arrays.update(zip(output_names, outputs))
    np.savez(os.path.join(OUT, name + ".npz"), **arrays)
    print(name, [n.op_type for n in model.graph.node], {k: v.shape for k, v in arrays.items()})
    return session


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32)


export("lstm_stream", LstmStream(), [rand(5, 1, 8), rand(2, 1, 6), rand(2, 1, 6)], ["x", "h0", "c0"],
       ["y", "hn", "cn"])
export("gru_bidir", GruBidir(), [rand(2, 4, 3)], ["x"], ["y", "hn"])
session = export("lstm_classifier", LstmClassifier(), [rand(6, 1, 4)], ["x"], ["y"])
# Search data: 32 sequences, labelled by the float model (so the float score is 1).
xs = rand(32, 6, 1, 4)
labels = np.array([int(np.argmax(session.run(None, {"x": x})[0])) for x in xs], dtype=np.int64)
np.savez(os.path.join(OUT, "lstm_classifier_val.npz"), x=xs, y=labels)
