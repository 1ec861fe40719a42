#!/usr/bin/env bash
# Per-candidate cost of `wsc search` on a 2.8 M-weight ResNet at 256x256 against onnxruntime's single-thread
# forward pass over the same samples (issue 14): writes bench/evaluator_speed.json (see bench/README.md).
#   bench/evaluator_speed.sh [evaluator_speed.py options, e.g. --runs 3 --samples 16]
# VENV=<folder> a Python venv with torch, onnx, onnxruntime and numpy (default .venv-bench-torch, made if missing:
# torch is a large download); WSC=<path> uses that wsc instead of the release build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VENV=${VENV:-$ROOT/.venv-bench-torch}
if ! "$VENV/bin/python" -c "import torch, onnx, onnxruntime, numpy" 2>/dev/null; then
    echo "== Python venv $VENV (torch onnx onnxruntime numpy)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q torch onnx onnxruntime numpy >&2
fi
if [ -z "${WSC:-}" ]; then
    echo "== release build of wsc" >&2
    swift build -c release --product wsc >&2
    WSC=$ROOT/.build/release/wsc
fi
exec "$VENV/bin/python" bench/evaluator_speed.py --wsc "$WSC" --python "$VENV/bin/python" "$@"
