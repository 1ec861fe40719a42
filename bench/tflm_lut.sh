#!/usr/bin/env bash
# WeightShare's .wsm against TFLM's 4-bit LUT compression (issue 16): writes bench/tflm_lut.json.
#   bench/tflm_lut.sh     (needs python3 with venv and pip access to PyPI: onnx, onnxruntime, tflite-micro)
# Each digits CNN fixture becomes a float .tflite that TFLM's interpreter checks against onnxruntime, is clustered to
# 16 values per weight tensor and compressed with TFLM's own LUT tool, and is searched and compiled by wsc with its
# defaults (seeds 1-5); whole-file sizes and test accuracy on both sides. WSC=<path> (default: release build),
# SCRATCH=<folder>, SEEDS=1,2,3 to shorten; --reuse-runs keeps the searches already in SCRATCH.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
VENV=${VENV:-$ROOT/.venv-bench-tflm}
bench_venv "$VENV" onnx,onnxruntime,tflite_micro -- numpy onnx onnxruntime tflite-micro==0.dev20261023182759
bench_wsc
SCRATCH=${SCRATCH:-$ROOT/.build-bench/tflm_lut}
exec "$VENV/bin/python" "$ROOT/bench/tflm_lut.py" --wsc "$WSC" --fixtures "$ROOT/Tests/Fixtures" \
    --scratch "$SCRATCH" --seeds "${SEEDS:-1,2,3,4,5}" --out "${OUT:-$ROOT/bench/tflm_lut.json}" "$@"
