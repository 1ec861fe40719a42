#!/usr/bin/env python3
"""The search-speed model of bench/evaluator_speed.sh: a ResNet-18 at half width (2.8 M weights; stem 32
channels, stages 32/64/128/256) exported from torch with a 3x256x256 input and seeded random weights (BatchNorm
folded on export in eval mode), and N seeded images in [0, 1) as data.npz (`x`, no labels: the search scores
cosine similarity against the float model). Deterministic for a seed.

    python bench/make_speed_model.py OUT_DIR [--samples 16] [--size 256] [--seed 0]
"""
import argparse
import os

import numpy as np
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.down is None else self.down(x)))


class ResNet18Half(nn.Module):
    def __init__(self, classes=100):
        super().__init__()
        widths = [32, 64, 128, 256]
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 7, 2, 3, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        layers, cin = [], 32
        for i, w in enumerate(widths):
            layers += [Block(cin, w, 1 if i == 0 else 2), Block(w, w, 1)]
            cin = w
        self.layers = nn.Sequential(*layers)
        self.head = nn.Linear(cin, classes)

    def forward(self, x):
        y = self.layers(self.stem(x))
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--samples", type=int, default=16)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(a.seed)
    model = ResNet18Half()
    # Non-trivial BatchNorm statistics, so folding changes the weights as a trained model's would.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.1)
    model.eval()
    x = torch.zeros(1, 3, a.size, a.size)
    path = os.path.join(a.out, "resnet18_half.onnx")
    torch.onnx.export(model, x, path, input_names=["input"], output_names=["logits"], opset_version=17,
                      dynamo=False)
    rng = np.random.default_rng(a.seed)
    data = rng.random((a.samples, 3, a.size, a.size), dtype=np.float32)
    np.savez(os.path.join(a.out, "data.npz"), x=data)
    weights = sum(p.numel() for n, p in model.named_parameters() if p.dim() > 1)
    print(f"{path}: {weights} weights in Conv/Gemm, {a.samples} samples of 3x{a.size}x{a.size}")


if __name__ == "__main__":
    main()
