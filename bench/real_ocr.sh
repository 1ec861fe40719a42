#!/usr/bin/env bash
# Real models (issue 12): the PP-OCRv4 DBNet detector and SVTR recogniser of rapidocr-onnxruntime 1.4.4 (PyPI) on
# rendered text, search -> compile -> verify, with the task's own measures; writes bench/real_ocr.json.
#   bench/real_ocr.sh [real_ocr.py options, e.g. --models rec --population 16 --generations 4]
# VENV=<folder> the Python venv (default .venv-bench-ocr: numpy onnxruntime pillow and the weightshare package
# from python/, made if missing); WSC=<path> uses that wsc instead of the release build. Needs Debian's
# fonts-dejavu-core for the rendered text.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/lib.sh
VENV=${VENV:-$ROOT/.venv-bench-ocr}
bench_venv "$VENV" numpy,onnxruntime,PIL,weightshare -- numpy onnxruntime pillow ./python
bench_wsc
exec "$VENV/bin/python" bench/real_ocr.py --wsc "$WSC" "$@"
