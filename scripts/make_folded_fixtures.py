#!/usr/bin/env python3
"""Makes the committed fixtures with the real-world property of issue 5 in Tests/Fixtures/folded/ (deterministic:
rerunning with the same torch, onnx and onnxruntime versions gives identical bytes; fixtures.json records every
file's SHA-256).

Real exported models break the paper's one-range binning: exporters fold BatchNorm into the convolutions (so each
output channel of a folded weight has its own magnitude) and re-parameterised blocks leave a few weights far larger
than the rest. These nets have that property on purpose; all are trained with torch (CPU, one thread, fixed seeds,
deterministic algorithms) on the digits splits made by scripts/make_fixtures.py.

- resnet_folded.onnx:    the ResNet-style net of cnn/resnet.onnx (stem Conv-BN-Relu, two residual blocks
                         Conv-BN-Relu-Conv-BN + identity, Relu; GlobalAveragePool, Flatten, Gemm 16->10) exported in
                         eval mode with BatchNorm folded into the Conv weights and biases by the exporter.
- mobilenet_folded.onnx: the MobileNetV2-style net of cnn/mobilenet.onnx (stem Conv-BN-ReLU6, two inverted residual
                         blocks: 1x1 expand-BN-ReLU6, 3x3 depthwise-BN-ReLU6, 1x1 project-BN, identity Add), BN folded
                         the same way; ReLU6 is Clip(0, 6).
- repvgg.onnx:           RepVGG-style, four blocks (1->16, then 16->16 three times), GlobalAveragePool, Flatten,
                         Gemm(16->10). Every block is trained as 3x3 Conv-BN + 1x1 Conv-BN (+ an identity BN when
                         the channel counts match), summed, Relu; then each block is merged (structural
                         re-parameterisation) into ONE 3x3 Conv with bias before export, so the graph is Conv-Relu
                         only. The identity branch is scaled by a fixed gain IDENTITY_GAIN (an identity BN whose gamma
                         and beta are multiplied by the gain) and, except for the last block, the block
                         output by 1/gain (merged into the next block's kernel; Relu is positively homogeneous, so
                         the float function is the same). Merged, the identity taps (the centre tap of each output
                         channel's own input channel) become 20-50x larger than the other weights — in the last
                         block the identity BN of channels whose input barely varies has a tiny running variance.
                         The float model stays accurate; max |w| and the 99th percentile of |w| are in fixtures.json.
- autoencoder.onnx:      a non-classification model: MLP autoencoder 64->32->12->32->64 (Gemm transB=1, Relu, linear
                         output), trained with the mean squared error to reconstruct the digits; scored with the
                         `cosine` metric (output vs the float model). Input `input` [batch, 64], output
                         `reconstruction` [batch, 64]. Use the digits_{val,test}.npz splits as they are (x is the
                         input; with --metric cosine the labels y are not read).

Classifiers: input `input` float32 [batch, 1, 8, 8] (dynamic batch), output `logits` [batch, 10] (no Softmax).
Every model: opset 13, torch.onnx.export(dynamo=False, training=EVAL, do_constant_folding=True) — the checks below
make sure no BatchNormalization node is left.

For each net: <name>_test_ref.npz with `y` = onnxruntime's (one thread) output on the whole test split, float32.
fixtures.json: seeds, training settings, versions, op counts, shapes, parameter counts, float accuracies (for the
autoencoder: mean cosine of the reconstruction vs its input and the MSE), the BatchNorm scales that were folded, and
the statistics of the shared weights (all Conv/Gemm/MatMul weight initializers, no biases).

Usage: /path/to/.venv-fixtures/bin/python scripts/make_folded_fixtures.py   (needs torch, numpy, onnx, onnxruntime),
or `make folded-fixtures`.
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import collections  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_cnn_fixtures import (MobileNet, ResNet, deterministic_start, export_onnx, model_facts,  # noqa: E402
                               run, session_for, tool_versions, train_model, write_facts)
from probe_scales import shared_weights as shared_weight_names  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "Tests", "Fixtures")
OUT = os.path.join(DATA, "folded")
OPSET = 13

SEEDS = {"resnet_folded": 21, "mobilenet_folded": 22, "repvgg": 23, "autoencoder": 24}
TRAINING = {"optimizer": "Adam", "lr": 3e-3, "weight_decay": 1e-4, "batch_size": 32, "epochs": 30,
            "lr_schedule": "cosine to 0 over the epochs", "loss": "cross entropy (classifiers)"}
AUTOENCODER_TRAINING = {"optimizer": "Adam", "lr": 3e-3, "weight_decay": 0.0, "batch_size": 32, "epochs": 150,
                        "lr_schedule": "cosine to 0 over the epochs", "loss": "mean squared error"}
# The identity branch of a RepVGG block: BN then this fixed gain; the block output times 1/gain (not the last).
IDENTITY_GAIN = 16.0

written = []


def path(name):
    return os.path.join(OUT, name)


# ---------------------------------------------------------------------------------------------------------------
# Nets


class RepBlock(nn.Module):
    """Training form of a RepVGG block: relu(BN(3x3 conv) + BN(1x1 conv) [+ gain * BN(x)]), divided by the gain
    when `rescale` (not on the last block, whose output goes to the pooling and the Gemm)."""

    def __init__(self, c_in, c_out, gain, rescale):
        super().__init__()
        self.conv3 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(c_out)
        self.conv1 = nn.Conv2d(c_in, c_out, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.identity = nn.BatchNorm2d(c_out) if c_in == c_out else None
        self.gain = gain if self.identity is not None else 1.0
        self.out_scale = 1.0 / self.gain if rescale else 1.0

    def forward(self, x):
        y = self.bn3(self.conv3(x)) + self.bn1(self.conv1(x))
        if self.identity is not None:
            y = y + self.gain * self.identity(x)
        # ReLU is positively homogeneous: relu(z) * a == relu(z * a) for a > 0, so `a` goes into the next kernel.
        return torch.relu(y) * self.out_scale


class RepVGG(nn.Module):
    def __init__(self, c=16, gain=IDENTITY_GAIN, n=4):
        super().__init__()
        self.blocks = nn.ModuleList([RepBlock(1 if i == 0 else c, c, gain, rescale=i < n - 1) for i in range(n)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, 10)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.fc(torch.flatten(self.pool(x), 1))


class RepVGGDeploy(nn.Module):
    """Inference form: one 3x3 Conv (with bias) + Relu per block."""

    def __init__(self, c=16, n=4):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(1 if i == 0 else c, c, 3, padding=1) for i in range(n)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, 10)

    def forward(self, x):
        for conv in self.convs:
            x = torch.relu(conv(x))
        return self.fc(torch.flatten(self.pool(x), 1))


def bn_scale_shift(bn):
    std = torch.sqrt(bn.running_var + bn.eps)
    scale = bn.weight / std
    return scale, bn.bias - bn.running_mean * scale


@torch.no_grad()
def reparameterise(model):
    """Merges every RepBlock into one 3x3 kernel and bias (block output = relu(merged conv) / gain), then moves each
    block's output scale (1/gain) into the next block's merged kernel."""
    deploy = RepVGGDeploy(c=model.fc.in_features, n=len(model.blocks))
    carried = 1.0  # the output scale of the previous block
    for block, conv in zip(model.blocks, deploy.convs):
        s3, b3 = bn_scale_shift(block.bn3)
        s1, b1 = bn_scale_shift(block.bn1)
        kernel = block.conv3.weight * s3[:, None, None, None]
        kernel[:, :, 1, 1] += block.conv1.weight[:, :, 0, 0] * s1[:, None]
        bias = b3 + b1
        if block.identity is not None:
            si, bi = bn_scale_shift(block.identity)
            idx = torch.arange(kernel.shape[0])
            kernel[idx, idx, 1, 1] += block.gain * si
            bias = bias + block.gain * bi
        conv.weight.copy_(kernel * carried)
        conv.bias.copy_(bias)
        carried = block.out_scale
    deploy.fc.weight.copy_(model.fc.weight * carried)
    deploy.fc.bias.copy_(model.fc.bias)
    deploy.eval()
    return deploy


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Linear(64, 32)
        self.enc2 = nn.Linear(32, 12)
        self.dec1 = nn.Linear(12, 32)
        self.dec2 = nn.Linear(32, 64)

    def forward(self, x):
        z = torch.relu(self.enc2(torch.relu(self.enc1(x))))
        return self.dec2(torch.relu(self.dec1(z)))


NETS = {"resnet_folded": ResNet, "mobilenet_folded": MobileNet, "repvgg": RepVGG, "autoencoder": AutoEncoder}


# ---------------------------------------------------------------------------------------------------------------
# Data, training, export


def load_split(name):
    with np.load(os.path.join(DATA, f"digits_{name}.npz")) as f:
        return f["x"].astype(np.float32), f["y"].astype(np.int64)


def image(x):
    return x.reshape(-1, 1, 8, 8)


def train(name, x_train, target):
    if name == "autoencoder":
        return train_model(NETS[name], SEEDS[name], AUTOENCODER_TRAINING, nn.MSELoss(), x_train, target)
    return train_model(NETS[name], SEEDS[name], TRAINING, nn.CrossEntropyLoss(), x_train, target)


def export(model, name, example, output_name):
    proto = export_onnx(model, path(f"{name}.onnx"), name, example, output_name, torch.onnx.TrainingMode.EVAL)
    written.append(f"{name}.onnx")
    return proto


def session(name):
    return session_for(path(f"{name}.onnx"))


def shared_weights(proto):
    """(name, array, output-channel axis) of the weights the codebook shares: input 1 of every Conv, Gemm and
    MatMul that is an initializer (biases excluded)."""
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    return [(name, inits[name], axis) for name, axis in shared_weight_names(proto)]


def weight_statistics(proto):
    weights = shared_weights(proto)
    flat = np.abs(np.concatenate([w.ravel() for _, w, _ in weights]).astype(np.float64))
    p99 = float(np.percentile(flat, 99))
    per_tensor = {}
    channel_max = []
    for name, w, axis in weights:
        a = np.abs(np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)).astype(np.float64)
        cmax = a.max(axis=1)
        channel_max.append(cmax)
        per_tensor[name] = {"shape": list(w.shape), "max_abs": float(a.max()),
                            "p99_abs": float(np.percentile(a, 99)),
                            "channel_max_abs_min": float(cmax.min()), "channel_max_abs_max": float(cmax.max())}
    cmax = np.concatenate(channel_max)
    vec = np.concatenate([w.ravel() for _, w, _ in weights]).astype(np.float64)
    return {
        "count": int(flat.size),
        "min": float(vec.min()), "max": float(vec.max()),
        "max_abs": float(flat.max()),
        "p99_abs": p99,
        "p999_abs": float(np.percentile(flat, 99.9)),
        "median_abs": float(np.median(flat)),
        "max_abs_over_p99_abs": float(flat.max() / p99),
        "fraction_abs_below_1": float(np.mean(flat < 1.0)),
        "count_abs_above_10x_p99": int(np.sum(flat > 10 * p99)),
        "channel_max_abs": {"min": float(cmax.min()), "median": float(np.median(cmax)), "max": float(cmax.max()),
                            "max_over_min": float(cmax.max() / cmax.min())},
        "per_tensor": per_tensor,
    }


def folded_bn_scales(model):
    """gamma / sqrt(running_var + eps) of every BatchNorm of the trained torch model (what the export folds)."""
    out = {}
    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            s = (m.weight / torch.sqrt(m.running_var + m.eps)).detach().numpy().astype(np.float64)
            g, v = m.weight.detach().numpy(), m.running_var.detach().numpy()
            out[name] = {"scale_min": float(s.min()), "scale_max": float(s.max()),
                         "gamma_min": float(g.min()), "gamma_max": float(g.max()),
                         "running_var_min": float(v.min()), "running_var_max": float(v.max())}
    return out


def cosine_rows(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return np.sum(a * b, axis=1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12)


def make(name, splits):
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = splits
    is_ae = name == "autoencoder"
    prep = (lambda x: x) if is_ae else image
    model = train(name, prep(x_train), x_train if is_ae else y_train)
    facts = {}
    if name == "repvgg":
        trained = model
        model = reparameterise(trained)
        with torch.no_grad():
            diff = float((trained(torch.from_numpy(image(x_test))) - model(torch.from_numpy(image(x_test))))
                         .abs().max())
            train_acc = float(np.mean(trained(torch.from_numpy(image(x_test))).numpy().argmax(1) == y_test))
        if diff > 1e-3:
            sys.exit(f"error: repvgg: the merged net differs from the trained one by {diff}")
        facts["max_abs_diff_trained_vs_reparameterised"] = diff
        facts["trained_form_test_accuracy"] = train_acc
        facts["identity_gain"] = IDENTITY_GAIN
        facts["batchnorm_scales_merged"] = folded_bn_scales(trained)
    elif not is_ae:
        facts["batchnorm_scales_folded"] = folded_bn_scales(model)

    example = torch.zeros(1, 64) if is_ae else torch.zeros(1, 1, 8, 8)
    output_name = "reconstruction" if is_ae else "logits"
    proto = export(model, name, example, output_name)

    ops = collections.Counter(n.op_type for n in proto.graph.node)
    if ops.get("BatchNormalization", 0):
        sys.exit(f"error: {name}.onnx still has {ops['BatchNormalization']} BatchNormalization nodes")

    sess = session(name)
    ref = run(sess, prep(x_test))
    with torch.no_grad():
        torch_out = model(torch.from_numpy(prep(x_test))).numpy()
    torch_diff = float(np.max(np.abs(torch_out - ref)))
    if torch_diff > 1e-4:
        sys.exit(f"error: {name}: onnxruntime and torch differ by {torch_diff}")
    batch1 = np.concatenate([run(sess, prep(x_test)[i:i + 1]) for i in range(len(x_test))])
    batch1_diff = float(np.max(np.abs(batch1 - ref)))

    np.savez(path(f"{name}_test_ref.npz"), y=ref)
    written.append(f"{name}_test_ref.npz")

    shared = sum(w.size for _, w, _ in shared_weights(proto))
    result = {
        **model_facts(name, proto, SEEDS[name], ops, shared, [1, 64] if is_ae else [1, 1, 8, 8]),
        "weight_statistics": weight_statistics(proto),
        "max_abs_diff_torch_vs_onnxruntime": torch_diff,
        "max_abs_diff_batch1_vs_batched_onnxruntime": batch1_diff,
        "test_ref_first_row": [float(v) for v in ref[0]],
    }
    if is_ae:
        def quality(x):
            out = run(sess, x)
            return {"mean_cosine_output_vs_input": float(np.mean(cosine_rows(out, x))),
                    "mse": float(np.mean((out.astype(np.float64) - x) ** 2))}
        result["metric"] = "cosine"
        result["float_reconstruction"] = {"train": quality(x_train), "val": quality(x_val), "test": quality(x_test)}
    else:
        def acc(x, y):
            return float(np.mean(run(sess, image(x)).argmax(axis=1) == y))
        result["metric"] = "accuracy"
        result["float_accuracy"] = {"train": acc(x_train, y_train), "val": acc(x_val, y_val),
                                    "test": acc(x_test, y_test)}
    result.update(facts)
    return result


def main():
    splits = deterministic_start(OUT, load_split)

    models = {}
    for name in NETS:
        m = make(name, splits)
        models[f"{name}.onnx"] = m
        s = m["weight_statistics"]
        score = (f"accuracy test {m['float_accuracy']['test']:.4f} val {m['float_accuracy']['val']:.4f} "
                 f"train {m['float_accuracy']['train']:.4f}" if "float_accuracy" in m else
                 "test cosine {mean_cosine_output_vs_input:.4f} mse {mse:.5f}".format(
                     **m["float_reconstruction"]["test"]))
        print(f"{name}.onnx: {m['parameter_count']} parameters ({m['shared_weight_count']} shared), "
              f"ops {m['op_counts']}; {score}; max|w| {s['max_abs']:.3f}, p99|w| {s['p99_abs']:.3f}")

    facts = {
        "seeds": SEEDS,
        "training": TRAINING,
        "autoencoder_training": AUTOENCODER_TRAINING,
        "data": "Tests/Fixtures/digits_{train,val,test}.npz; x reshaped to [n, 1, 8, 8] for the classifiers, "
                "x [n, 64] as input and target for the autoencoder",
        "input": {"name": "input", "shape": ["batch", 1, 8, 8], "autoencoder_shape": ["batch", 64],
                  "batch": "dynamic; tests pin [1, 1, 8, 8] ([1, 64] for the autoencoder)"},
        "output": {"name": "logits", "shape": ["batch", 10],
                   "autoencoder": {"name": "reconstruction", "shape": ["batch", 64]}},
        "export": {"exporter": "torch.onnx.export(dynamo=False, training=EVAL, do_constant_folding=True)",
                   "opset": OPSET, "batchnorm": "folded into Conv weights and biases by the exporter"},
        "weight_statistics": "over the shared weights: input 1 of every Conv/Gemm/MatMul (no biases); "
                             "channel_max_abs = max |w| of each output channel",
        "versions": tool_versions(),
        "models": models,
    }
    write_facts(OUT, written, facts, "folded fixtures")

if __name__ == "__main__":
    main()
