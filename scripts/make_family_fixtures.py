#!/usr/bin/env python3
"""Writes Tests/Fixtures/families: small torch-exported models of the families real deployments ship, each with
data and onnxruntime references (issue 12). Deterministic (seeded, one thread); needs torch, onnx, onnxruntime.

- yolo_tiny.onnx: a YOLOv8-style detector at 64×64×3 (Conv-BN-SiLU, C2f blocks with Split/Concat, SPPF with
  MaxPools, nearest Upsample + Concat neck, decoupled heads, DFL: Reshape/Transpose/Softmax over 16 bins and a
  fixed 1×1 Conv), output [1, 4 + 3 classes, 84 anchors]. Scored with cosine (no labels).
- vit_tiny.onnx: a ViT/SVTR-style text-line recogniser at 1×3×32×64 (4×4 conv patch embedding, learned position
  embedding, 2 pre-norm blocks: LayerNorm, 2-head self-attention written out (MatMul of activations, Softmax),
  GELU MLP), per-token class logits [1, 32, 11]; trained briefly on synthetic "digits as bar patterns".
- lstm_vad.onnx: an LSTM voice-activity detector with state in and out: inputs audio [1, 256], h [1, 1, 32],
  c [1, 1, 32]; an STFT front end as Conv1d (fixed cos/sin basis, 64-sample window, hop 32), magnitude via
  Pow/Add/Sqrt, log; LSTM(32); Linear + Sigmoid; outputs prob [1, 1], hn, cn. Trained briefly on synthetic
  tone-vs-noise streams, the state carried through 8 consecutive chunks (so it also works free-running).
- gru_kws.onnx: a GRU keyword spotter on 49×10 features (GRU(48), last step, Linear → 12 classes), trained
  briefly on synthetic class-dependent feature patterns.

For each model: <name>_data.npz (search split, inputs named after the model's inputs, `y` labels when the model
is a classifier), <name>_test.npz (held-out split), and <name>_ref.npz (onnxruntime's outputs on the test split,
one array per output, named after it). fixtures.json records shapes, ops and accuracies.
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "families")
OPSET = 17
torch.set_num_threads(1)


def seed(n):
    torch.manual_seed(n)
    np.random.seed(n)


# ---------------------------------------------------------------- YOLOv8-style detector
class ConvBNSiLU(nn.Module):
    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2)

    def forward(self, x):
        return F.silu(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.cv1, self.cv2 = ConvBNSiLU(c, c, 3), ConvBNSiLU(c, c, 3)

    def forward(self, x):
        return x + self.cv2(self.cv1(x))


class C2f(nn.Module):
    def __init__(self, c1, c2, n=1):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = ConvBNSiLU(c1, 2 * self.c)
        self.cv2 = ConvBNSiLU((2 + n) * self.c, c2)
        self.m = nn.ModuleList(Bottleneck(self.c) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).split((self.c, self.c), 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2):
        super().__init__()
        self.cv1, self.cv2 = ConvBNSiLU(c1, c1 // 2), ConvBNSiLU(c1 * 2, c2)
        self.m = nn.MaxPool2d(5, 1, 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class DFL(nn.Module):
    def __init__(self, c1=16):
        super().__init__()
        self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(c1, dtype=torch.float).view(1, c1, 1, 1)
        self.c1 = c1

    def forward(self, x):
        b, _, a = x.shape
        return self.conv(x.view(b, 4, self.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a)


class YoloTiny(nn.Module):
    def __init__(self, nc=3, reg=16):
        super().__init__()
        self.nc, self.reg = nc, reg
        self.stem = ConvBNSiLU(3, 8, 3, 2)         # 32
        self.d1 = ConvBNSiLU(8, 16, 3, 2)          # 16
        self.c1 = C2f(16, 16)
        self.d2 = ConvBNSiLU(16, 32, 3, 2)         # 8
        self.c2 = C2f(32, 32)
        self.d3 = ConvBNSiLU(32, 32, 3, 2)         # 4
        self.c3 = C2f(32, 32)
        self.sppf = SPPF(32, 32)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.n1 = C2f(64, 32)                      # 8
        self.n2 = C2f(48, 16)                      # 16
        self.box = nn.ModuleList(nn.Sequential(ConvBNSiLU(c, 16, 3), nn.Conv2d(16, 4 * reg, 1)) for c in (16, 32, 32))
        self.cls = nn.ModuleList(nn.Sequential(ConvBNSiLU(c, 16, 3), nn.Conv2d(16, nc, 1)) for c in (16, 32, 32))
        self.dfl = DFL(reg)

    def forward(self, x):
        p3 = self.c1(self.d1(self.stem(x)))
        p4 = self.c2(self.d2(p3))
        p5 = self.sppf(self.c3(self.d3(p4)))
        n4 = self.n1(torch.cat((self.up(p5), p4), 1))
        n3 = self.n2(torch.cat((self.up(n4), p3), 1))
        outs = [torch.cat((self.box[i](f), self.cls[i](f)), 1) for i, f in enumerate((n3, n4, p5))]
        flat = torch.cat([o.view(1, 4 * self.reg + self.nc, -1) for o in outs], 2)
        box, cls = flat.split((4 * self.reg, self.nc), 1)
        return torch.cat((self.dfl(box), cls.sigmoid()), 1)


# ---------------------------------------------------------------- ViT / SVTR-style recogniser
class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, 2 * d), nn.Linear(2 * d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.n1(x)).reshape(b, t, 3, self.heads, self.dh).permute(2, 0, 3, 1, 4)
        a = (q @ k.transpose(-2, -1)) * (self.dh ** -0.5)
        y = (a.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.n2(x))))


class ViTTiny(nn.Module):
    def __init__(self, classes=11, d=32):
        super().__init__()
        self.patch = nn.Conv2d(3, d, 4, 4)  # 32×64 → 8×16 = 128 tokens
        self.pool = nn.AvgPool2d((2, 1))    # → 4×16
        self.pos = nn.Parameter(torch.randn(1, 64, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, 2), Block(d, 2)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        x = self.pool(self.patch(x)).flatten(2).transpose(1, 2) + self.pos  # [1, 64, d]
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x).reshape(x.shape[0], 4, 16, -1).mean(1)             # [b, 16 columns, d]
        return self.head(x)


def vit_data(n, rng):
    """Text lines of 4 'digits' (0..9), each drawn as a 16-column bar pattern; label per column: digit (0-9) or
    blank (10) between digits."""
    x = rng.normal(0, 0.3, (n, 3, 32, 64)).astype(np.float32)
    y = np.full((n, 16), 10, np.int64)
    for i in range(n):
        for j in range(4):
            d = rng.integers(0, 10)
            c0 = j * 16 + 2
            rows = [(d >> b) & 1 for b in range(4)]
            for b, on in enumerate(rows):
                if on:
                    x[i, :, b * 8:(b + 1) * 8, c0:c0 + 12] += 1.5
            x[i, b % 3, :, c0:c0 + 12] += 0.2 * d
            y[i, j * 4 + 1:j * 4 + 3] = d
    return x, y


# ---------------------------------------------------------------- LSTM VAD with an STFT front end
class LSTMVAD(nn.Module):
    def __init__(self, hidden=32, win=64, hop=32):
        super().__init__()
        bins = win // 2 + 1
        n = torch.arange(win, dtype=torch.float)
        k = torch.arange(bins, dtype=torch.float).view(-1, 1)
        window = torch.hann_window(win, periodic=True)
        basis = torch.cat([torch.cos(2 * np.pi * k * n / win) * window, -torch.sin(2 * np.pi * k * n / win) * window])
        self.stft = nn.Conv1d(1, 2 * bins, win, hop, bias=False).requires_grad_(False)
        self.stft.weight.data[:] = basis.view(2 * bins, 1, win)
        self.bins = bins
        self.proj = nn.Conv1d(bins, hidden, 1)
        self.lstm = nn.LSTM(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, audio, h, c):
        spec = self.stft(audio.unsqueeze(1))                        # [1, 2·bins, frames]
        re, im = spec[:, :self.bins], spec[:, self.bins:]
        mag = torch.sqrt(re.pow(2) + im.pow(2) + 1e-6)
        feat = F.relu(self.proj(torch.log(mag + 1e-3)))            # [1, hidden, frames]
        y, (hn, cn) = self.lstm(feat.transpose(1, 2), (h, c))
        return torch.sigmoid(self.out(y[:, -1])), hn, cn


def vad_data(n, rng, chunk=256):
    """Chunks of a stream that alternates speech-like (tones with harmonics) and noise segments of 4 chunks."""
    t = np.arange(chunk) / 16000.0
    x = np.zeros((n, 1, chunk), np.float32)
    y = np.zeros(n, np.int64)
    for i in range(n):
        speech = (i // 4) % 2 == 1
        noise = rng.normal(0, 0.05, chunk)
        if speech:
            f0 = rng.uniform(120, 300)
            tone = sum(np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 6)) / h for h in range(1, 6))
            noise += 0.4 * tone
        x[i, 0] = noise
        y[i] = int(speech)
    return x, y


# ---------------------------------------------------------------- GRU keyword spotter
class GRUKWS(nn.Module):
    def __init__(self, classes=12, hidden=48):
        super().__init__()
        self.gru = nn.GRU(10, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        y, _ = self.gru(x)
        return self.fc(y[:, -1])


def kws_data(n, rng, prototypes):
    y = rng.integers(0, 12, n)
    x = prototypes[y] + rng.normal(0, 0.6, (n, 49, 10)).astype(np.float32)
    return x.astype(np.float32), y.astype(np.int64)


# ---------------------------------------------------------------- helpers
def train(model, batches, loss_fn, steps, lr=3e-3):
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    model.train()
    for step in range(steps):
        xb, yb = batches(step)
        opt.zero_grad()
        loss = loss_fn(model, xb, yb)
        loss.backward()
        opt.step()
    model.eval()


def export(model, args, names, outputs, path):
    torch.onnx.export(model, args, path, input_names=names, output_names=outputs, opset_version=OPSET,
                      dynamo=False, training=torch.onnx.TrainingMode.EVAL, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return sorted({n.op_type for n in m.graph.node})


def session(path):
    o = ort.SessionOptions()
    o.intra_op_num_threads = 1
    return ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])


def run_all(path, feeds, n):
    s = session(path)
    names = [o.name for o in s.get_outputs()]
    outs = [s.run(None, {k: v[i] for k, v in feeds.items()}) for i in range(n)]
    return {name: np.stack([o[j] for o in outs]).astype(np.float32) for j, name in enumerate(names)}


def main():
    os.makedirs(OUT, exist_ok=True)
    info = {"opset": OPSET, "torch": torch.__version__, "onnxruntime": ort.__version__, "models": {}}

    # YOLO: random weights (BN statistics set from a pass over random images), cosine only.
    seed(1)
    yolo = YoloTiny()
    rng = np.random.default_rng(1)
    imgs = rng.uniform(0, 1, (24, 1, 3, 64, 64)).astype(np.float32)
    yolo.train()
    with torch.no_grad():
        for i in range(0, 24, 8):
            yolo(torch.from_numpy(imgs[i:i + 8, 0]))
    yolo.eval()
    path = os.path.join(OUT, "yolo_tiny.onnx")
    ops = export(yolo, (torch.from_numpy(imgs[0]),), ["images"], ["output0"], path)
    search, test = imgs[:12], imgs[12:]
    np.savez(os.path.join(OUT, "yolo_tiny_data.npz"), images=search)
    np.savez(os.path.join(OUT, "yolo_tiny_test.npz"), images=test)
    np.savez(os.path.join(OUT, "yolo_tiny_ref.npz"), **run_all(path, {"images": test}, len(test)))
    info["models"]["yolo_tiny"] = {"ops": ops, "params": sum(p.numel() for p in yolo.parameters())}

    # ViT: trained on the synthetic lines.
    seed(2)
    vit = ViTTiny()
    rng = np.random.default_rng(2)
    xs, ys = vit_data(1200, rng)
    train(vit, lambda s: (torch.from_numpy(xs[(s * 32) % 1152:(s * 32) % 1152 + 32]),
                          torch.from_numpy(ys[(s * 32) % 1152:(s * 32) % 1152 + 32])),
          lambda m, xb, yb: F.cross_entropy(m(xb).reshape(-1, 11), yb.reshape(-1)), 400)
    path = os.path.join(OUT, "vit_tiny.onnx")
    ops = export(vit, (torch.from_numpy(xs[:1]),), ["image"], ["logits"], path)
    xt, yt = vit_data(32, np.random.default_rng(22))
    with torch.no_grad():
        acc = float((vit(torch.from_numpy(xt)).argmax(-1).numpy() == yt).mean())
    np.savez(os.path.join(OUT, "vit_tiny_data.npz"), image=xs[1168:1200, None])
    np.savez(os.path.join(OUT, "vit_tiny_test.npz"), image=xt[:, None])
    np.savez(os.path.join(OUT, "vit_tiny_ref.npz"), **run_all(path, {"image": xt[:, None]}, len(xt)))
    info["models"]["vit_tiny"] = {"ops": ops, "params": sum(p.numel() for p in vit.parameters()),
                                  "float_column_accuracy_test": acc}

    # LSTM VAD: trained on chunks one at a time from a zero state (truncated backprop of 1 chunk).
    seed(3)
    vad = LSTMVAD()
    rng = np.random.default_rng(3)
    xa, ya = vad_data(2000, rng)

    def vad_loss(m, xb, yb):
        # xb: [batch, 8 consecutive chunks, 256]; the state runs through the 8 chunks as when deployed.
        h = c = torch.zeros(1, xb.shape[0], 32)
        loss = 0.0
        for j in range(xb.shape[1]):
            p, h, c = m(xb[:, j], h, c)
            loss = loss + F.binary_cross_entropy(p[:, 0], yb[:, j].float())
        return loss / xb.shape[1]

    def vad_batch(step):
        starts = np.random.default_rng(300 + step).integers(0, 2000 - 8, 16)
        return (torch.from_numpy(np.stack([xa[s:s + 8, 0] for s in starts])),
                torch.from_numpy(np.stack([ya[s:s + 8] for s in starts])))
    train(vad, vad_batch, vad_loss, 300)
    path = os.path.join(OUT, "lstm_vad.onnx")
    h0 = torch.zeros(1, 1, 32)
    ops = export(vad, (torch.from_numpy(xa[0]), h0, h0), ["audio", "h", "c"], ["prob", "hn", "cn"], path)
    xt, yt = vad_data(64, np.random.default_rng(33))
    zeros = np.zeros((64, 1, 1, 32), np.float32)
    feeds = {"audio": xt, "h": zeros, "c": zeros}
    np.savez(os.path.join(OUT, "lstm_vad_data.npz"), audio=xa[:48], h=zeros[:48], c=zeros[:48], y=ya[:48])
    np.savez(os.path.join(OUT, "lstm_vad_test.npz"), audio=xt, h=zeros, c=zeros, y=yt)
    ref = run_all(path, feeds, 64)
    # Free-running reference: the state of chunk i+1 is hn/cn of chunk i, as the model is deployed.
    s = session(path)
    h = c = np.zeros((1, 1, 32), np.float32)
    free = []
    for i in range(64):
        p, h, c = s.run(None, {"audio": xt[i], "h": h, "c": c})
        free.append(p)
    ref["prob_free"] = np.stack(free).astype(np.float32)
    np.savez(os.path.join(OUT, "lstm_vad_ref.npz"), **ref)
    info["models"]["lstm_vad"] = {
        "ops": ops, "params": sum(p.numel() for p in vad.parameters()),
        "float_accuracy_test_free_running": float(((ref["prob_free"].reshape(-1) > 0.5) == yt).mean())}

    # GRU KWS.
    seed(4)
    kws = GRUKWS()
    rng = np.random.default_rng(4)
    prototypes = rng.normal(0, 1, (12, 49, 10)).astype(np.float32)
    xk, yk = kws_data(1500, rng, prototypes)
    train(kws, lambda s: (torch.from_numpy(xk[(s * 32) % 1472:(s * 32) % 1472 + 32]),
                          torch.from_numpy(yk[(s * 32) % 1472:(s * 32) % 1472 + 32])),
          lambda m, xb, yb: F.cross_entropy(m(xb), yb), 300)
    path = os.path.join(OUT, "gru_kws.onnx")
    ops = export(kws, (torch.from_numpy(xk[:1]),), ["features"], ["logits"], path)
    xt, yt = kws_data(120, np.random.default_rng(44), prototypes)
    with torch.no_grad():
        acc = float((kws(torch.from_numpy(xt)).argmax(-1).numpy() == yt).mean())
    np.savez(os.path.join(OUT, "gru_kws_data.npz"), features=xk[1400:1500, None], y=yk[1400:1500])
    np.savez(os.path.join(OUT, "gru_kws_test.npz"), features=xt[:, None], y=yt)
    np.savez(os.path.join(OUT, "gru_kws_ref.npz"), **run_all(path, {"features": xt[:, None]}, len(xt)))
    info["models"]["gru_kws"] = {"ops": ops, "params": sum(p.numel() for p in kws.parameters()),
                                 "float_accuracy_test": acc}

    with open(os.path.join(OUT, "fixtures.json"), "w") as f:
        json.dump(info, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
