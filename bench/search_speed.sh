#!/usr/bin/env bash
# Search-speed benchmark (issue 14): `wsc search` (release build, --genome k, every sample scored, no merge)
# against the paper's method in Python (bench/paper_baseline.py: uniform binning + pymoo NSGA-II + onnxruntime on
# the batch) on the digits MLP, same population, generations, seed, K range and samples, side by side, RUNS rounds;
# bench/search_speed.py writes bench/search_speed.json (medians, ratio of evaluations per second, front check).
#   bench/search_speed.sh [search_speed.py options, e.g. --runs 5 --population 100 --generations 30]
# VENV=<folder> the Python venv (default .venv-bench; made with numpy onnx onnxruntime pymoo==0.6.2 if missing);
# WSC=<path> uses that wsc instead of building one (default: swift build -c release --product wsc, .build/release/wsc).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/lib.sh
VENV=${VENV:-$ROOT/.venv-bench}
bench_venv "$VENV" numpy,onnx,onnxruntime,pymoo --system-site-packages -- numpy onnx onnxruntime pymoo==0.6.2
bench_wsc

exec "$VENV/bin/python" bench/search_speed.py --wsc "$WSC" --python "$VENV/bin/python" "$@"
