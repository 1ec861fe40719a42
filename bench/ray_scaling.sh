#!/bin/bash
# The Ray executor's scaling: the same search (evaluation dominates: the full genome on the ResNet-8 fixture, 40
# samples, the reference kernels — with the fast ones a candidate takes milliseconds and Ray's round trips dominate) with 1 and with 2 workers of a Ray cluster on 127.0.0.1 (a head and a second node, one CPU each, inside
# private network and PID namespaces as in scripts/ray-test.sh); RUNS runs each, alternated, medians
# (bench/ray_scaling.py); checks that every run gives the same pareto.json. Writes bench/ray_scaling.json (see
# bench/README.md).
#   bench/ray_scaling.sh   ; WSC=<wsc> (default: the release build), RUNS=<n> (default 3), RAY_VENV (default .venv-ray)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RAY_VENV=${RAY_VENV:-.venv-ray}
RUNS=${RUNS:-3}
OUT=${OUT:-$ROOT/bench/ray_scaling.json}
if [ "${1:-}" != "--inside" ]; then
    if [ -z "${WSC:-}" ]; then
        swift build -c release --product wsc >&2
        WSC="$(swift build -c release --show-bin-path)/wsc"
    fi
    "$RAY_VENV/bin/python" -c "import ray" 2>/dev/null || {
        python3 -m venv "$RAY_VENV" && "$RAY_VENV/bin/python" -m pip install -q ray==2.60.0; }
    work=$(mktemp -d /tmp/wsbench.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    WSC=$(realpath "$WSC") RUNS=$RUNS OUT=$OUT unshare --net --pid --fork --mount-proc "$0" --inside "$work"
    cat "$OUT"
    exit 0
fi

work=$2
python="$(realpath "$RAY_VENV")/bin/python"
ray="$(realpath "$RAY_VENV")/bin/ray"
export RAY_USAGE_STATS_ENABLED=0 TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
ip link set lo up
trap '"$ray" stop --force >/dev/null 2>&1 || true' EXIT
port=6393
# Each node in its own session, as on two machines: with the kernel's autogroup scheduling, processes of one session
# share one fair share of the CPUs against other sessions, so two nodes started from one shell would compete as one.
setsid "$ray" start --head --node-ip-address=127.0.0.1 --port=$port --num-cpus=1 --disable-usage-stats \
    --include-dashboard=false --temp-dir="$work/ray" >"$work/head.log" 2>&1 || { cat "$work/head.log" >&2; exit 1; }
setsid "$ray" start --address=127.0.0.1:$port --node-ip-address=127.0.0.1 --num-cpus=1 --disable-usage-stats \
    >"$work/node.log" 2>&1 || { cat "$work/node.log" >&2; exit 1; }

fx=Tests/Fixtures/tiny
python3 bench/ray_scaling.py "$OUT" "$work" "$RUNS" "$WSC" search $fx/ic_resnet8.onnx --data $fx/ic_resnet8_search.npz \
    --input-shape input=1,3,32,32 --limit 40 --population 16 --generations 4 --genome full --evaluator reference --no-merge \
    --select-fraction 0 --seed 1 --executor ray --ray-address 127.0.0.1:$port --ray-python "$python"
