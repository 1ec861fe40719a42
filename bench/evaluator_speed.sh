#!/usr/bin/env bash
# Per-candidate cost of `wsc search` on a 2.8 M-weight ResNet at 256x256 (or, with --model dbnet, the real PP-OCRv4
# DBNet detector at 256x512, fetched from PyPI) against onnxruntime's single-thread forward pass over the same
# samples (issue 14): writes bench/evaluator_speed.json (evaluator_speed_dbnet.json; see bench/README.md).
#   bench/evaluator_speed.sh [evaluator_speed.py options, e.g. --runs 3 --samples 16 --model dbnet]
# VENV=<folder> a Python venv with torch, onnx, onnxruntime, numpy and pillow (default .venv-bench-torch, made if
# missing: torch is a large download); WSC=<path> uses that wsc instead of the release build. dbnet's rendered pages
# need Debian's fonts-dejavu-core.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/lib.sh
VENV=${VENV:-$ROOT/.venv-bench-torch}
bench_venv "$VENV" torch,onnx,onnxruntime,numpy,PIL -- torch onnx onnxruntime numpy pillow
bench_wsc
exec "$VENV/bin/python" bench/evaluator_speed.py --wsc "$WSC" --python "$VENV/bin/python" "$@"
