#!/usr/bin/env python3
"""Makes Tests/Fixtures/tiny/: the four MLPerf Tiny (v1.x) reference architectures, trained briefly on synthetic,
learnable data (issue 12, item 5). Deterministic: rerunning with the same torch, numpy, onnx and onnxruntime
versions gives identical bytes (fixtures.json records every file's SHA-256 and the versions).

The architectures follow the MLPerf Tiny reference models (github.com/mlcommons/tiny, benchmark/training):

- kws_dscnn.onnx   keyword spotting, DS-CNN-S: input [batch, 1, 49, 10] (49 frames x 10 MFCC), Conv 64 (10x4,
                   stride 2, pads 5/1: the 25x5 output of the reference's 'same' padding)-BN-ReLU, 4 x (depthwise 3x3
                   (group 64)-BN-ReLU, pointwise 1x1 64-BN-ReLU), AveragePool 25x5, Flatten, Gemm 64->12; logits.
- vww_mobilenet.onnx  visual wake words, MobileNetV1 alpha 0.25: input [batch, 3, 96, 96] (pixel values 0..255 as
                   floats, as the data files store them), Conv 3x3/2 8-BN-ReLU, 13 depthwise-separable blocks
                   (16, 32/2, 32, 64/2, 64, 128/2, 5 x 128, 256/2, 256), AveragePool 3x3, Flatten, Gemm 256->2.
- ic_resnet8.onnx  image classification, ResNet-8 (CIFAR-10): input [batch, 3, 32, 32] (0..255), Conv 3x3 16-BN-ReLU,
                   three residual stacks (16; 32/2 and 64/2 with a 1x1 strided Conv shortcut), AveragePool 8x8,
                   Flatten, Gemm 64->10.
- ad_autoencoder.onnx  anomaly detection (ToyADMOS), the FC autoencoder: input [batch, 640] (5 frames x 128
                   log-mel bands), Gemm 128-BN-ReLU x 4, Gemm 8-BN-ReLU (bottleneck), Gemm 128-BN-ReLU x 4, Gemm 640.

The reference's Softmax after the classifiers is left out (the logits are the output: the top-1 class is the
same). Exported with torch.onnx.export(dynamo=False, opset 13, training=PRESERVE) from modules in eval mode, so the
BatchNormalization nodes stay in the graph and the compiler folds them (the script checks they are there).

Data (numpy Generator with a fixed seed per fixture; nothing is downloaded):
- kws: 12 classes like the reference's (class 0 'silence': background only; class 1 'unknown': a random word
  each sample; classes 2..11: ten 'keywords', each a fixed sequence of three formant-like bumps in the
  frame x coefficient plane), time-shifted by up to +-6 frames, amplitude 0.4..1.2, strong background noise
  (sigma 1.1); values rounded to 1/8 (stored float32).
- vww: class 1 = a 'person' (a vertical ellipse body with a round head, random colour, size and place) in a
  cluttered scene (colour gradient, rectangles and horizontal ellipses as distractors, blocky 4x4 noise); class 0 = the
  same scenes without the person; 8-bit pixel values (stored as float32).
- ic: ten classes of oriented textures (class c: a grating at angle 18 deg x c, jittered by 0.1 rad so that
  neighbouring classes overlap) with random frequency, phase, colours, contrast and noise; 8-bit pixel values (stored as float32).
- ad: 'normal' machine spectra: a harmonic comb at a fixed fundamental, per-clip gains of 4 spectral
  components, slow drift over the 5 frames, noise (dB-like, standardised); anomalies add a band of extra
  energy or a harmonic at a foreign frequency. The autoencoder is trained on normal clips only (MSE); the
  test split is half normal, half anomalous, `anomaly` holds the labels (0/1) and fixtures.json the AUC of
  the reconstruction error. Score it with `--metric cosine` (no `y`).

Files per fixture <name>: <name>.onnx; <name>_search.npz (x, y: the data for `wsc search`); <name>_test.npz (x, y:
held out); <name>_test_ref.npz (y: onnxruntime's outputs on the test split, one thread, float32).

Usage: FIXTURES_PYTHON=/path/to/venv/bin/python make tiny-fixtures   (needs torch, numpy, onnx, onnxruntime)
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
import make_cnn_fixtures  # noqa: E402
from make_cnn_fixtures import export_onnx, session_for, tool_versions, write_facts  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "tiny")
MAX_TOTAL_BYTES = 9 * 512 * 1024  # 4.5 MiB
written = []


def path(name):
    return os.path.join(OUT, name)


# ---------------------------------------------------------------------------------------------------------------
# Nets (MLPerf Tiny reference architectures)


def conv_bn_relu(c_in, c_out, k, stride=1, padding=0, groups=1):
    return [nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, groups=groups, bias=False),
            nn.BatchNorm2d(c_out), nn.ReLU()]


class DSCNN(nn.Module):
    """DS-CNN-S of the KWS reference (64 filters, 4 depthwise-separable blocks)."""

    def __init__(self, classes=12, c=64):
        super().__init__()
        layers = conv_bn_relu(1, c, (10, 4), stride=(2, 2), padding=(5, 1))
        for _ in range(4):
            layers += conv_bn_relu(c, c, 3, padding=1, groups=c) + conv_bn_relu(c, c, 1)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AvgPool2d((25, 5))
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class MobileNetV1(nn.Module):
    """MobileNetV1 with width multiplier alpha for 96x96 inputs (the VWW reference: alpha 0.25)."""

    BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]

    def __init__(self, classes=2, alpha=0.25):
        super().__init__()
        c = int(32 * alpha)
        layers = conv_bn_relu(3, c, 3, stride=2, padding=1)
        for width, stride in self.BLOCKS:
            out = int(width * alpha)
            layers += conv_bn_relu(c, c, 3, stride=stride, padding=1, groups=c) + conv_bn_relu(c, out, 1)
            c = out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AvgPool2d(3)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class ResidualStack(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.a = nn.Sequential(*conv_bn_relu(c_in, c_out, 3, stride=stride, padding=1))
        self.b = nn.Sequential(nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out))
        self.shortcut = None if stride == 1 and c_in == c_out else nn.Conv2d(c_in, c_out, 1, stride=stride)
        self.relu = nn.ReLU()

    def forward(self, x):
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.b(self.a(x)) + skip)


class ResNet8(nn.Module):
    """ResNet-8 of the image-classification reference (16, 32, 64 filters)."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(*conv_bn_relu(3, 16, 3, padding=1))
        self.stacks = nn.Sequential(ResidualStack(16, 16, 1), ResidualStack(16, 32, 2), ResidualStack(32, 64, 2))
        self.pool = nn.AvgPool2d(8)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.stacks(self.stem(x))), 1))


class FCAutoencoder(nn.Module):
    """The anomaly-detection reference's dense autoencoder: 640-128x4-8-128x4-640."""

    def __init__(self, inputs=640, width=128, bottleneck=8):
        super().__init__()
        sizes = [inputs, width, width, width, width, bottleneck, width, width, width, width]
        layers = []
        for a, b in zip(sizes, sizes[1:]):
            layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
        layers.append(nn.Linear(width, inputs))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


# ---------------------------------------------------------------------------------------------------------------
# Synthetic data


def kws_data(rng, n):
    """49 frames x 10 coefficients; 12 classes (0 silence, 1 unknown, 2..11 keywords)."""
    frames, coeffs = np.arange(49)[:, None], np.arange(10)[None, :]
    words = np.random.default_rng(1234).uniform(size=(10, 3, 4))  # fixed keyword shapes: (centre, width, coef, sign)

    def word(shape, shift, amp):
        out = np.zeros((49, 10))
        for b, (centre, width, coef, sign) in enumerate(shape):
            t0 = 10 + 10 * b + 6 * centre + shift
            bump = np.exp(-0.5 * ((frames - t0) / (2 + 3 * width)) ** 2)
            profile = np.cos(np.pi * (coeffs + 0.5) * (1 + 3 * coef) / 10) * (1 if sign > 0.5 else -1)
            out += amp * 2.0 * bump * profile
        return out

    y = rng.integers(0, 12, size=n)
    x = np.zeros((n, 1, 49, 10))
    for i in range(n):
        background = rng.normal(0, 1.1, size=(49, 10)) + rng.normal(0, 0.5) * np.linspace(1, 0.5, 10)[None, :]
        shift, amp = int(rng.integers(-6, 7)), rng.uniform(0.4, 1.2)
        if y[i] == 0:
            x[i, 0] = background
        elif y[i] == 1:
            x[i, 0] = background + word(rng.uniform(size=(3, 4)), shift, amp)
        else:
            x[i, 0] = background + word(words[y[i] - 2], shift, amp)
    return (np.round(x * 8) / 8).astype(np.float32), y.astype(np.int64)


def ellipse(h, w, cy, cx, ry, rx):
    yy, xx = np.mgrid[0:h, 0:w]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1


def vww_data(rng, n):
    """3 x 96 x 96 uint8 scenes; class 1 holds a person-like figure."""
    s = 96
    y = rng.integers(0, 2, size=n)
    x = np.zeros((n, 3, s, s), dtype=np.uint8)
    yy, xx = np.mgrid[0:s, 0:s] / s
    for i in range(n):
        c0, c1 = rng.uniform(40, 200, size=3), rng.uniform(40, 200, size=3)
        angle = rng.uniform(0, 2 * np.pi)
        t = np.cos(angle) * xx + np.sin(angle) * yy
        img = c0[:, None, None] * (1 - t) + c1[:, None, None] * t
        for _ in range(int(rng.integers(1, 4))):  # rectangles
            y0, x0 = rng.integers(0, s - 10, size=2)
            hh, ww = rng.integers(8, 40, size=2)
            img[:, y0:y0 + hh, x0:x0 + ww] = rng.uniform(0, 255, size=3)[:, None, None]
        for _ in range(int(rng.integers(0, 3))):  # horizontal ellipses (not people)
            m = ellipse(s, s, rng.uniform(10, 86), rng.uniform(10, 86), rng.uniform(4, 10), rng.uniform(12, 24))
            img[:, m] = rng.uniform(0, 255, size=3)[:, None]
        if y[i] == 1:
            scale = rng.uniform(0.6, 1.3)
            cy, cx = rng.uniform(35, 70), rng.uniform(15, 81)
            colour = rng.uniform(0, 255, size=3)
            body = ellipse(s, s, cy, cx, 18 * scale, 8 * scale)
            head = ellipse(s, s, cy - 24 * scale, cx, 6 * scale, 6 * scale)
            img[:, body | head] = colour[:, None]
        img += np.kron(rng.integers(-12, 13, size=(3, s // 4, s // 4)), np.ones((1, 4, 4)))  # blocky sensor noise
        x[i] = np.clip(np.round(img), 0, 255).astype(np.uint8)
    return x, y.astype(np.int64)


def ic_data(rng, n):
    """3 x 32 x 32 uint8 textures; class c: a grating at 18 deg x c."""
    s = 32
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float64)
    y = rng.integers(0, 10, size=n)
    x = np.zeros((n, 3, s, s), dtype=np.uint8)
    for i in range(n):
        angle = np.pi * y[i] / 10 + rng.normal(0, 0.1)
        freq = rng.uniform(0.35, 0.8)
        wave = np.sin(freq * (np.cos(angle) * xx + np.sin(angle) * yy) + rng.uniform(0, 2 * np.pi))
        base, tint = rng.uniform(60, 190, size=3), rng.uniform(20, 70) * rng.choice([-1, 1], size=3)
        img = base[:, None, None] + tint[:, None, None] * wave[None] + rng.integers(-4, 5, size=(3, s, s))
        x[i] = np.clip(np.round(img), 0, 255).astype(np.uint8)
    return x, y.astype(np.int64)


AD_MEAN, AD_STD = -40.0, 12.0


def ad_data(rng, n, anomalous):
    """640 = 5 frames x 128 log-mel bands, standardised; `anomalous` clips have a foreign component."""
    bands = np.arange(128)
    comb = sum(np.exp(-0.5 * ((bands - 9 * h) / 1.5) ** 2) / h ** 0.5 for h in range(1, 14))
    components = np.stack([comb, np.exp(-bands / 40.0), np.exp(-0.5 * ((bands - 80) / 20.0) ** 2),
                           np.sin(bands / 128 * np.pi) ** 2])
    x = np.zeros((n, 5, 128))
    for i in range(n):
        gains = rng.uniform(0.5, 1.5, size=4) * np.array([30, 20, 10, 8])
        drift = rng.normal(0, 0.05, size=(5, 1))
        power = (1 + drift) * (gains @ components)[None, :] + 1e-3
        if anomalous[i]:
            if rng.uniform() < 0.5:
                lo = int(rng.integers(10, 110))
                power[:, lo:lo + int(rng.integers(6, 18))] += rng.uniform(8, 20)
            else:
                f = rng.uniform(4, 120)
                power += rng.uniform(10, 25) * np.exp(-0.5 * ((bands - f) / 1.5) ** 2)[None, :]
        db = 10 * np.log10(power) - 50 + rng.normal(0, 0.8, size=(5, 128))
        x[i] = db
    x = (x.reshape(n, 640) - AD_MEAN) / AD_STD
    return (np.round(x * 16) / 16).astype(np.float32)


# ---------------------------------------------------------------------------------------------------------------
# Training, export, facts


def train(model, x, target, loss_fn, epochs, lr, batch=64, seed=0):
    generator = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(x) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + np.cos(np.pi * min(s, steps) / steps)))
    xt, yt = torch.from_numpy(x), torch.from_numpy(target)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=generator)
        for i in range(0, len(xt), batch):
            idx = order[i:i + batch]
            if len(idx) < 2:
                continue
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
            sched.step()
    model.eval()
    return model


def run(sess, x):
    return sess.run(None, {"input": x.astype(np.float32)})[0].astype(np.float32)


def make(name, net, seed, data, loss, epochs, lr, input_shape, output_name="logits"):
    """Trains `net` on data['train'], exports, writes the splits and onnxruntime's test outputs; returns facts."""
    torch.manual_seed(seed)
    model = train(net(), data["train"][0].astype(np.float32), data["train"][1], loss, epochs, lr, seed=seed)
    proto = export_onnx(model, path(f"{name}.onnx"), name, torch.zeros(*input_shape), output_name=output_name)
    written.append(f"{name}.onnx")
    ops = collections.Counter(n.op_type for n in proto.graph.node)
    if ops.get("BatchNormalization", 0) == 0:
        sys.exit(f"error: {name}.onnx has no BatchNormalization node (the compiler should fold them)")

    sess = session_for(path(f"{name}.onnx"))
    x_test = data["test"][0]
    ref = run(sess, x_test)
    with torch.no_grad():
        torch_out = model(torch.from_numpy(x_test.astype(np.float32))).numpy()
    torch_diff = float(np.max(np.abs(torch_out - ref)))
    if torch_diff > 1e-3 * max(1.0, float(np.max(np.abs(ref)))):
        sys.exit(f"error: {name}: onnxruntime and torch differ by {torch_diff}")
    for split in ("search", "test"):
        x, y = data[split]
        # wsc reads samples as float32/float64: images are stored as their 0..255 values in float32.
        arrays = {"x": x.astype(np.float32)} if y is None else {"x": x.astype(np.float32), "y": y}
        arrays.update(data.get(f"{split}_extra", {}))
        np.savez_compressed(path(f"{name}_{split}.npz"), **arrays)
        written.append(f"{name}_{split}.npz")
    np.savez(path(f"{name}_test_ref.npz"), y=ref)
    written.append(f"{name}_test_ref.npz")

    inits = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    weights = [inits[n.input[1]] for n in proto.graph.node if n.op_type in ("Conv", "Gemm", "MatMul")
               and n.input[1] in inits]
    facts = {
        "file": f"{name}.onnx", "seed": seed, "epochs": epochs, "lr": lr,
        "input_shape": [1] + list(input_shape[1:]), "output": output_name,
        "op_counts": dict(sorted(ops.items())),
        "parameter_count": int(sum(v.size for v in inits.values())),
        "shared_weight_count": int(sum(w.size for w in weights)),
        "samples": {split: int(len(data[split][0])) for split in ("train", "search", "test")},
        "max_abs_diff_torch_vs_onnxruntime": torch_diff,
        "test_ref_first_row": [float(v) for v in ref[0][:16]],
    }
    if output_name == "logits":
        facts["float_accuracy"] = {split: float(np.mean(run(sess, data[split][0]).argmax(axis=1) == data[split][1]))
                                   for split in ("train", "search", "test")}
    return facts, sess


def auc(scores, labels):
    """Area under the ROC curve: the probability that an anomaly scores above a normal clip (ties count half)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def main():
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    os.makedirs(OUT, exist_ok=True)
    ce = nn.CrossEntropyLoss()
    models = {}

    rng = np.random.default_rng(12)
    kws = {"train": kws_data(rng, 3000), "search": kws_data(rng, 120), "test": kws_data(rng, 240)}
    models["kws_dscnn.onnx"], _ = make("kws_dscnn", DSCNN, 1, kws, ce, 8, 3e-3, (1, 1, 49, 10))

    rng = np.random.default_rng(13)
    ic = {"train": ic_data(rng, 3000), "search": ic_data(rng, 40), "test": ic_data(rng, 80)}
    models["ic_resnet8.onnx"], _ = make("ic_resnet8", ResNet8, 2, ic, ce, 8, 3e-3, (1, 3, 32, 32))

    rng = np.random.default_rng(14)
    ad_train = ad_data(rng, 2000, np.zeros(2000, dtype=bool))
    ad_search = ad_data(rng, 64, np.zeros(64, dtype=bool))
    labels = np.repeat([0, 1], 40)
    ad_test = ad_data(rng, 80, labels.astype(bool))
    ad = {"train": (ad_train, ad_train), "search": (ad_search, None), "test": (ad_test, None),
          "test_extra": {"anomaly": labels.astype(np.int64)}}
    mse = nn.MSELoss()
    facts, sess = make("ad_autoencoder", FCAutoencoder, 3, ad, mse, 30, 2e-3, (1, 640), output_name="reconstruction")
    recon = run(sess, ad_test)
    error = np.mean((recon - ad_test) ** 2, axis=1)
    cos = np.sum(recon * ad_test, axis=1) / (np.linalg.norm(recon, axis=1) * np.linalg.norm(ad_test, axis=1))
    facts.update({"auc_test": auc(error, labels), "mse_test_normal": float(error[labels == 0].mean()),
                  "mse_test_anomalous": float(error[labels == 1].mean()),
                  "cosine_reconstruction_vs_input_test_normal": float(cos[labels == 0].mean()),
                  "standardisation": {"mean_db": AD_MEAN, "std_db": AD_STD}})
    models["ad_autoencoder.onnx"] = facts

    rng = np.random.default_rng(15)
    vww = {"train": vww_data(rng, 2400), "search": vww_data(rng, 12), "test": vww_data(rng, 24)}
    models["vww_mobilenet.onnx"], _ = make("vww_mobilenet", MobileNetV1, 4, vww, ce, 12, 3e-3, (1, 3, 96, 96))

    for name, f in models.items():
        summary = f.get("float_accuracy", {}).get("test", f.get("auc_test"))
        print(f"{name}: {f['parameter_count']} parameters ({f['shared_weight_count']} shared), test "
              f"{'accuracy' if 'float_accuracy' in f else 'AUC'} {summary:.4f}, ops {f['op_counts']}", flush=True)
    make_cnn_fixtures.MAX_TOTAL_BYTES = MAX_TOTAL_BYTES
    write_facts(OUT, written, {"models": models, "versions": tool_versions(),
                               "generator": "scripts/make_tiny_fixtures.py"}, "the tiny fixtures")


if __name__ == "__main__":
    main()
