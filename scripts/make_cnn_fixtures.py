#!/usr/bin/env python3
"""Makes the committed CNN fixtures in Tests/Fixtures/cnn/ (deterministic: rerunning with the same torch,
onnx and onnxruntime versions gives identical bytes; fixtures.json records every file's SHA-256).

Three small convolutional nets trained with torch (CPU, one thread, fixed seeds, deterministic algorithms) on the
digits splits made by scripts/make_fixtures.py (x [n, 64] float32 reshaped to [n, 1, 8, 8]):

- lenet.onnx:     Conv(1->8, 3x3, pad 1)-Relu-Conv(8->16, 3x3)-Relu-MaxPool(2)-Flatten-Gemm(144->10).
- resnet.onnx:    stem Conv(1->16, 3x3, pad 1, no bias)-BatchNormalization-Relu, two residual blocks
                  (Conv-BN-Relu-Conv-BN, identity Add, Relu), GlobalAveragePool, Flatten, Gemm(16->10).
- mobilenet.onnx: stem Conv(1->16)-BN-Clip(0, 6), two MobileNetV2 inverted residual blocks (pointwise expand
                  16->48 Conv-BN-Clip(0, 6), depthwise 3x3 Conv (group 48)-BN-Clip(0, 6), pointwise project
                  48->16 Conv-BN, identity Add), GlobalAveragePool, Flatten, Gemm(16->10).

Exported with torch.onnx.export(dynamo=False, opset 13, training=PRESERVE on a module in eval mode), so
BatchNormalization stays a node (inference form, one output) instead of being folded into the Conv. Input `input`
[batch, 1, 8, 8] float32 (dynamic batch), output `logits` [batch, 10] (no Softmax).

For each net: <name>_test_ref.npz with `y` = onnxruntime's (one thread) logits on the whole test split, float32
[360, 10]. fixtures.json: seeds, versions, op counts, shapes, parameter counts and float accuracies.

Usage: .venv-fixtures/bin/python scripts/make_cnn_fixtures.py   (needs torch, numpy, onnx, onnxruntime; a venv
made with --system-site-packages and `pip install torch` is enough). Only this script and
scripts/make_folded_fixtures.py (which imports its nets and helpers) need torch.
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import collections  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "Tests", "Fixtures")
OUT = os.path.join(DATA, "cnn")
OPSET = 13
MAX_TOTAL_BYTES = 3 * 1024 * 1024

SEEDS = {"lenet": 11, "resnet": 12, "mobilenet": 13}
TRAINING = {"optimizer": "Adam", "lr": 3e-3, "weight_decay": 1e-4, "batch_size": 32, "epochs": 30,
            "lr_schedule": "cosine to 0 over the epochs"}

written = []


def path(name):
    return os.path.join(OUT, name)


# ---------------------------------------------------------------------------------------------------------------
# Nets


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 3 * 3, 10)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        x = self.pool(x)
        return self.fc(torch.flatten(x, 1))


class BasicBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + x)


class ResNet(nn.Module):
    def __init__(self, c=16):
        super().__init__()
        self.conv = nn.Conv2d(1, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)
        self.block1 = BasicBlock(c)
        self.block2 = BasicBlock(c)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, 10)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        x = self.block2(self.block1(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class InvertedResidual(nn.Module):
    def __init__(self, c, expand=3):
        super().__init__()
        h = c * expand
        self.expand = nn.Conv2d(c, h, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(h)
        self.depthwise = nn.Conv2d(h, h, 3, padding=1, groups=h, bias=False)
        self.bn2 = nn.BatchNorm2d(h)
        self.project = nn.Conv2d(h, c, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c)
        self.act = nn.ReLU6()

    def forward(self, x):
        y = self.act(self.bn1(self.expand(x)))
        y = self.act(self.bn2(self.depthwise(y)))
        y = self.bn3(self.project(y))
        return x + y


class MobileNet(nn.Module):
    def __init__(self, c=16):
        super().__init__()
        self.conv = nn.Conv2d(1, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)
        self.act = nn.ReLU6()
        self.block1 = InvertedResidual(c)
        self.block2 = InvertedResidual(c)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, 10)

    def forward(self, x):
        x = self.act(self.bn(self.conv(x)))
        x = self.block2(self.block1(x))
        return self.fc(torch.flatten(self.pool(x), 1))


NETS = {"lenet": LeNet, "resnet": ResNet, "mobilenet": MobileNet}
EXPECT_BN = {"lenet": False, "resnet": True, "mobilenet": True}


# ---------------------------------------------------------------------------------------------------------------
# Data, training, export


def load_split(name):
    with np.load(os.path.join(DATA, f"digits_{name}.npz")) as f:
        x, y = f["x"].astype(np.float32), f["y"].astype(np.int64)
    return x.reshape(-1, 1, 8, 8), y


def train(name, x_train, y_train):
    return train_model(NETS[name], SEEDS[name], TRAINING, nn.CrossEntropyLoss(), x_train, y_train)


def train_model(make_net, seed, settings, loss_fn, x_train, target):
    """Seeds torch, builds the net and trains it (Adam, cosine schedule, shuffled batches); returns it in eval
    mode. Also used by scripts/make_folded_fixtures.py."""
    torch.manual_seed(seed)
    model = make_net()
    generator = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=settings["lr"], weight_decay=settings["weight_decay"])
    epochs, batch = settings["epochs"], settings["batch_size"]
    steps = epochs * ((len(x_train) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + np.cos(np.pi * min(s, steps) / steps)))
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(target)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=generator)
        for i in range(0, len(xt), batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return model


def export_onnx(model, file, name, example, output_name="logits", training=torch.onnx.TrainingMode.PRESERVE):
    """Exports `model` (opset 13, input `input`, dynamic batch) to `file` with deterministic bytes; returns the
    proto. Also used by scripts/make_folded_fixtures.py (training=EVAL)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), buffer, dynamo=False, opset_version=OPSET, input_names=["input"],
                          output_names=[output_name], dynamic_axes={"input": {0: "batch"}, output_name: {0: "batch"}},
                          do_constant_folding=True, training=training)
    proto = onnx.load_from_string(buffer.getvalue())
    proto.graph.name = name
    proto.doc_string = ""
    for node in proto.graph.node:
        node.doc_string = ""
    data = proto.SerializeToString(deterministic=True)
    with open(file, "wb") as f:
        f.write(data)
    onnx.checker.check_model(file, full_check=True)
    return proto


def export(model, name):
    proto = export_onnx(model, path(f"{name}.onnx"), name, torch.zeros(1, 1, 8, 8))
    written.append(f"{name}.onnx")
    return proto


def session_for(file):
    """An onnxruntime CPU session with one thread."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(file, sess_options=opts, providers=["CPUExecutionProvider"])


def session(name):
    return session_for(path(f"{name}.onnx"))


def run(sess, x):
    return sess.run(None, {"input": x})[0].astype(np.float32)


def shape_of(vi):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in vi.type.tensor_type.shape.dim]


def make(name, splits):
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = splits
    model = train(name, x_train, y_train)
    proto = export(model, name)

    ops = collections.Counter(n.op_type for n in proto.graph.node)
    has_bn = ops.get("BatchNormalization", 0) > 0
    if has_bn != EXPECT_BN[name]:
        sys.exit(f"error: {name}.onnx has BatchNormalization nodes: {has_bn}, expected {EXPECT_BN[name]}")

    sess = session(name)
    ref = run(sess, x_test)
    with torch.no_grad():
        torch_out = model(torch.from_numpy(x_test)).numpy()
    torch_diff = float(np.max(np.abs(torch_out - ref)))
    if torch_diff > 1e-4:
        sys.exit(f"error: {name}: onnxruntime and torch differ by {torch_diff}")
    # Batch-1 runs (what the runtime does) against the batched reference.
    batch1 = np.concatenate([run(sess, x_test[i:i + 1]) for i in range(len(x_test))])
    batch1_diff = float(np.max(np.abs(batch1 - ref)))

    np.savez(path(f"{name}_test_ref.npz"), y=ref)
    written.append(f"{name}_test_ref.npz")

    def acc(x, y):
        return float(np.mean(run(sess, x).argmax(axis=1) == y))

    inits = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    weight_nodes = [n for n in proto.graph.node if n.op_type in ("Conv", "Gemm", "MatMul")]
    shared = sum(inits[n.input[1]].size for n in weight_nodes if n.input[1] in inits)
    return {
        **model_facts(name, proto, SEEDS[name], ops, shared, [1, 1, 8, 8]),
        "float_accuracy": {"train": acc(x_train, y_train), "val": acc(x_val, y_val), "test": acc(x_test, y_test)},
        "max_abs_diff_torch_vs_onnxruntime": torch_diff,
        "max_abs_diff_batch1_vs_batched_onnxruntime": batch1_diff,
        "test_ref_first_row": [float(v) for v in ref[0]],
    }


def write_facts(out, files, facts, what):
    """Adds the files' sizes and SHA-256s to `facts`, writes out/fixtures.json and checks the total size."""
    sizes = {name: os.path.getsize(os.path.join(out, name)) for name in sorted(files)}
    facts["files"] = {name: {"bytes": size,
                             "sha256": hashlib.sha256(open(os.path.join(out, name), "rb").read()).hexdigest()}
                      for name, size in sizes.items()}
    facts["total_bytes"] = sum(sizes.values())
    with open(os.path.join(out, "fixtures.json"), "w") as f:
        json.dump(facts, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{len(files) + 1} files in {os.path.relpath(out, ROOT)}, "
          f"{facts['total_bytes'] + os.path.getsize(os.path.join(out, 'fixtures.json'))} bytes")
    if facts["total_bytes"] > MAX_TOTAL_BYTES:
        sys.exit(f"error: {what} take {facts['total_bytes']} bytes, more than {MAX_TOTAL_BYTES}")


def model_facts(name, proto, seed, ops, shared, pinned_input_shape):
    """What fixtures.json records of every model: files, seed, I/O, op and parameter counts, initializer shapes.
    Also used by scripts/make_folded_fixtures.py."""
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    return {
        "file": f"{name}.onnx",
        "reference": f"{name}_test_ref.npz",
        "seed": seed,
        "opset": OPSET,
        "inputs": {vi.name: shape_of(vi) for vi in proto.graph.input if vi.name not in inits},
        "outputs": {vi.name: shape_of(vi) for vi in proto.graph.output},
        "pinned_input_shape": pinned_input_shape,
        "node_count": len(proto.graph.node),
        "op_counts": dict(sorted(ops.items())),
        "parameter_count": int(sum(a.size for a in inits.values() if a.dtype.kind == "f")),
        "shared_weight_count": int(shared),
        "initializer_shapes": {k: list(v.shape) for k, v in sorted(inits.items())},
    }


def deterministic_start(out, load):
    """Fixed seed, deterministic kernels, one thread; creates `out`; returns the train, val and test splits as
    `load` reads them. Also used by scripts/make_folded_fixtures.py."""
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    os.makedirs(out, exist_ok=True)
    return [load(s) for s in ("train", "val", "test")]


def tool_versions():
    """The versions fixtures.json records."""
    return {"python": sys.version.split()[0], "torch": torch.__version__, "numpy": np.__version__,
            "onnx": onnx.__version__, "onnxruntime": ort.__version__}


def main():
    splits = deterministic_start(OUT, load_split)

    models = {}
    for name in NETS:
        models[f"{name}.onnx"] = make(name, splits)
        a = models[f"{name}.onnx"]["float_accuracy"]
        print(f"{name}.onnx: {models[f'{name}.onnx']['parameter_count']} parameters "
              f"({models[f'{name}.onnx']['shared_weight_count']} shared), ops {models[f'{name}.onnx']['op_counts']}; "
              f"accuracy test {a['test']:.4f} val {a['val']:.4f} train {a['train']:.4f}")

    facts = {
        "seeds": SEEDS,
        "training": TRAINING,
        "data": "Tests/Fixtures/digits_{train,val,test}.npz, x reshaped to [n, 1, 8, 8]",
        "input": {"name": "input", "shape": ["batch", 1, 8, 8], "batch": "dynamic; tests pin [1, 1, 8, 8]"},
        "output": {"name": "logits", "shape": ["batch", 10]},
        "export": {"exporter": "torch.onnx.export(dynamo=False, training=PRESERVE, do_constant_folding=True)",
                   "opset": OPSET},
        "versions": tool_versions(),
        "models": models,
    }
    write_facts(OUT, written, facts, "CNN fixtures")

if __name__ == "__main__":
    main()
