#!/bin/bash
# The Ray executor's scaling: the same search (evaluation dominates: the full genome on the ResNet-8 fixture) with 1
# and with 2 workers of a Ray cluster on 127.0.0.1 (a head and a second node, one CPU each, inside private network and
# PID namespaces as in scripts/ray-test.sh); RUNS runs each, alternated, medians of the wall time; checks that every
# run gives the same pareto.json. Writes bench/ray_scaling.json (see bench/README.md).
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
"$ray" start --head --node-ip-address=127.0.0.1 --port=$port --num-cpus=1 --disable-usage-stats \
    --include-dashboard=false --temp-dir="$work/ray" >"$work/head.log" 2>&1 || { cat "$work/head.log" >&2; exit 1; }
"$ray" start --address=127.0.0.1:$port --node-ip-address=127.0.0.1 --num-cpus=1 --disable-usage-stats \
    >"$work/node.log" 2>&1 || { cat "$work/node.log" >&2; exit 1; }

fx=Tests/Fixtures/tiny
search=("$WSC" search $fx/ic_resnet8.onnx --data $fx/ic_resnet8_search.npz --input-shape input=1,3,32,32
        --limit 10 --population 8 --generations 1 --genome full --no-merge --select-fraction 0 --seed 1
        --executor ray --ray-address 127.0.0.1:$port --ray-python "$python")
: >"$work/times.txt"
for run in $(seq 1 "$RUNS"); do
    for workers in 1 2; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        start=$(date +%s.%N)
        "${search[@]}" --ray-workers $workers --out "$work/run-$workers-$run" >/dev/null 2>"$work/run-$workers-$run.log" \
            || { cat "$work/run-$workers-$run.log" >&2; exit 1; }
        end=$(date +%s.%N)
        cmp -s "$work/run-1-1/pareto.json" "$work/run-$workers-$run/pareto.json" \
            || { echo "ray_scaling: run $run with $workers worker(s) found another front" >&2; exit 1; }
        echo "$workers $start $end $load" | tee -a "$work/times.txt" >&2
    done
done
evaluations=$(python3 -c "import json; print(json.load(open('$work/run-1-1/pareto.json'))['evaluations'])")
python3 - "$work/times.txt" "$OUT" "$evaluations" "$RUNS" <<'PY'
import json, os, statistics, sys
times, out, evaluations, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows = [line.split() for line in open(times)]
seconds = {w: [round(float(end) - float(start), 3) for k, start, end, _ in rows if k == w] for w in ("1", "2")}
loads = [float(load) for *_, load in rows]
median = {w: statistics.median(v) for w, v in seconds.items()}
result = {
    "what": "wsc search --executor ray, full genome, ic_resnet8 (77,360 shared weights), 10 samples, population 8, "
            "1 generation, no merge: wall seconds with 1 and 2 workers of a Ray cluster on 127.0.0.1 (head + second "
            "node, 1 CPU each, private network namespace); every run gave the same pareto.json",
    "ray": "2.60.0",
    "runs": runs,
    "evaluations": evaluations,
    "cpus": os.cpu_count(),
    "loadAverage1mAtStarts": loads,
    "secondsOneWorker": seconds["1"],
    "secondsTwoWorkers": seconds["2"],
    "medianSecondsOneWorker": median["1"],
    "medianSecondsTwoWorkers": median["2"],
    "speedupTwoWorkers": median["1"] / median["2"],
    "identicalFronts": True,
}
with open(out, "w") as handle:
    json.dump(result, handle, indent=2)
    handle.write("\n")
PY
