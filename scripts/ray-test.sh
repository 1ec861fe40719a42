#!/bin/bash
# The Ray executor end to end (`wsc search --executor ray`): a Ray head and a second worker node, both on 127.0.0.1
# inside private network and PID namespaces (unshare), so no test traffic can leave loopback (outside one, Ray binds
# to the machine's interface address even when told 127.0.0.1) and `ray stop` sees only this test's processes.
# Checks: the front equals the local executor's for the same seed; a worker killed mid-generation (its wsc, then a
# whole actor) is re-run and the front is unchanged; a run resumes across executors; --select-data ships a third file;
# a cluster that is not there, something that is not a Ray head, a Python without Ray, a bad address and too many
# workers give errors that name the problem and leave no run behind; the workers remove the files they were shipped.
# Usage: scripts/ray-test.sh [path/to/wsc]   (default: builds the debug wsc). Ray comes from PyPI into the virtual
# environment RAY_VENV (default .venv-ray); skipped with a message only where pip cannot install it.
set -euo pipefail
cd "$(dirname "$0")/.."
RAY_VENV=${RAY_VENV:-.venv-ray}
RAY_VERSION=2.60.0
if [ "${1:-}" != "--inside" ]; then
    SWIFT=${SWIFT:-swift}
    if [ $# -ge 1 ]; then wsc=$(realpath "$1"); else
        $SWIFT build --product wsc >/dev/null
        wsc="$($SWIFT build --show-bin-path)/wsc"
    fi
    if ! "$RAY_VENV/bin/python" -c "import ray, sys; sys.exit(ray.__version__ != '$RAY_VERSION')" 2>/dev/null; then
        echo "ray-test: installing ray==$RAY_VERSION into $RAY_VENV"
        if ! { python3 -m venv "$RAY_VENV" && "$RAY_VENV/bin/python" -m pip install -q "ray==$RAY_VERSION"; }; then
            echo "ray-test: SKIPPED: pip cannot install ray==$RAY_VERSION on this machine (the Ray executor is untested here)"
            exit 0
        fi
    fi
    for tool in unshare ip; do
        command -v "$tool" >/dev/null || { echo "ray-test: $tool is missing (util-linux, iproute2)" >&2; exit 1; }
    done
    work=$(mktemp -d /tmp/wsray.XXXXXX)   # short: Ray's socket paths live under it
    trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
    # The whole test runs in the namespaces; when it ends, the kernel ends every process left in them. Without root,
    # a user namespace grants what they need.
    as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(--map-root-user)
    unshare "${as_root[@]}" --net --pid --fork --mount-proc "$0" --inside "$wsc" "$work"
    exit 0
fi

wsc=$2
work=$3
python="$(realpath "$RAY_VENV")/bin/python"
ray="$(realpath "$RAY_VENV")/bin/ray"
export RAY_USAGE_STATS_ENABLED=0
ip link set lo up
# The nodes' workers put the shipped files under TMPDIR: this test's folder, checked empty at the end.
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
trap '"$ray" stop --force >/dev/null 2>&1 || true' EXIT
port=6392
"$ray" start --head --node-ip-address=127.0.0.1 --port=$port --num-cpus=1 --disable-usage-stats \
    --include-dashboard=false --temp-dir="$work/ray" >"$work/head.log" 2>&1 || { cat "$work/head.log"; exit 1; }
"$ray" start --address=127.0.0.1:$port --node-ip-address=127.0.0.1 --num-cpus=1 --disable-usage-stats \
    >"$work/node.log" 2>&1 || { cat "$work/node.log"; exit 1; }
"$python" - 2> >(grep -v "Failed to determine local IP" >&2) <<PY
import ray
ray.init(address="127.0.0.1:$port", logging_level="ERROR", log_to_driver=False, _node_ip_address="127.0.0.1")
nodes = [n for n in ray.nodes() if n["Alive"]]
assert len(nodes) == 2 and all(n["NodeManagerAddress"] == "127.0.0.1" for n in nodes), nodes
PY
echo "== ray: head and a second node on 127.0.0.1:$port (private network namespace)"

fx=Tests/Fixtures
search=("$wsc" search $fx/digits_mlp.onnx --data $fx/digits_val.npz --input-shape input=1,64 --population 8
        --generations 2 --limit 100)
ray_options=(--executor ray --ray-address 127.0.0.1:$port --ray-python "$python")
"${search[@]}" --out "$work/local" >/dev/null 2>"$work/local.log"

same_front() {  # pareto.json of a run against the local run's
    if ! cmp -s "$work/local/pareto.json" "$work/$1/pareto.json"; then
        echo "ray-test: the front of '$1' differs from the local executor's:" >&2
        diff "$work/local/pareto.json" "$work/$1/pareto.json" | head -40 >&2
        exit 1
    fi
}

"${search[@]}" --out "$work/ray" "${ray_options[@]}" >/dev/null 2>"$work/ray.log" || { cat "$work/ray.log"; exit 1; }
grep -q "ray: 2 worker(s) on 2 node(s)" "$work/ray.log" || { echo "ray-test: not 2 workers on 2 nodes:" >&2; cat "$work/ray.log" >&2; exit 1; }
same_front ray
echo "== ray: 2 workers on 2 nodes, pareto.json identical to the local executor's"

# The 3rd candidate handed out has its wsc killed, the 12th its whole actor (the second generation): both re-run.
WEIGHTSHARE_RAY_TEST_KILL=wsc:3,actor:12 "${search[@]}" --out "$work/killed" "${ray_options[@]}" >/dev/null \
    2>"$work/killed.log" || { cat "$work/killed.log"; exit 1; }
reruns=$(grep -c "candidate(s) re-run after a worker failed" "$work/killed.log" || true)
[ "$reruns" -ge 2 ] || { echo "ray-test: expected re-runs in two generations:" >&2; cat "$work/killed.log" >&2; exit 1; }
same_front killed
echo "== ray: a worker's wsc and a whole worker killed mid-generation: re-run, pareto.json unchanged"

# A run searched on the cluster resumes locally (and the other way round) to the same front.
"$wsc" search $fx/digits_mlp.onnx --data $fx/digits_val.npz --input-shape input=1,64 --population 8 --generations 1 \
    --limit 100 --out "$work/resumed" "${ray_options[@]}" >/dev/null 2>"$work/resumed.log" || { cat "$work/resumed.log"; exit 1; }
"${search[@]}" --out "$work/resumed" --resume >/dev/null 2>>"$work/resumed.log" || { cat "$work/resumed.log"; exit 1; }
# A resumed run counts fewer evaluations (its score cache starts empty); its solutions are the same.
python3 - "$work/local/pareto.json" "$work/resumed/pareto.json" <<'PY' || exit 1
import json, sys
a, b = (json.load(open(path))["solutions"] for path in sys.argv[1:])
sys.exit(0 if a == b else "ray-test: the run resumed locally found other solutions than the local run")
PY
cmp "$work/local/pareto.csv" "$work/resumed/pareto.csv"
echo "== ray: searched on the cluster for one generation, resumed locally: the same solutions and pareto.csv"

# With --select-data a third file is shipped (the worker's search set is then all of --data, as here).
"${search[@]}" --select-data $fx/digits_test.npz --out "$work/local-select" >/dev/null 2>&1
"${search[@]}" --select-data $fx/digits_test.npz --out "$work/ray-select" "${ray_options[@]}" >/dev/null \
    2>"$work/ray-select.log" || { cat "$work/ray-select.log"; exit 1; }
cmp -s "$work/local-select/pareto.json" "$work/ray-select/pareto.json" \
    || { echo "ray-test: with --select-data the front differs from the local executor's" >&2; exit 1; }
echo "== ray: with --select-data (three files shipped), pareto.json identical to the local executor's"

expect_error() {  # name, text the error must hold, wsc arguments...
    local name=$1 text=$2
    shift 2
    if "$@" --out "$work/$name" >/dev/null 2>"$work/$name.log"; then
        echo "ray-test: '$name' should have failed" >&2; exit 1
    fi
    grep -qF -- "$text" "$work/$name.log" || { echo "ray-test: '$name' did not say '$text':" >&2; cat "$work/$name.log" >&2; exit 1; }
    [ ! -e "$work/$name/run.json" ] || { echo "ray-test: '$name' left $work/$name/run.json" >&2; exit 1; }
    echo "== ray: $name: $(grep -F -- "$text" "$work/$name.log" | head -1 | cut -c1-150)"
}
expect_error no-cluster "no Ray cluster at 127.0.0.1:1" "${search[@]}" --executor ray --ray-address 127.0.0.1:1 \
    --ray-python "$python"
# Something that listens but is not a Ray head (a web server): ray.init alone would retry for minutes.
python3 -m http.server 8765 --bind 127.0.0.1 >/dev/null 2>&1 &
sleep 1
WEIGHTSHARE_RAY_JOIN_TIMEOUT=5 expect_error not-ray "did not answer as a Ray cluster within 5 s" "${search[@]}" \
    --executor ray --ray-address 127.0.0.1:8765 --ray-python "$python"
kill %1
printf '#!/bin/sh\nexec python3 -I -S "$@"\n' >"$work/python-without-ray"
chmod +x "$work/python-without-ray"
expect_error no-ray "Ray is not installed" "${search[@]}" "${ray_options[@]/$python/$work/python-without-ray}"
expect_error bad-address "is not HOST:PORT" "${search[@]}" --executor ray --ray-address 127.0.0.1
expect_error no-python "--ray-python /nonexistent/python: no such executable" "${search[@]}" --executor ray \
    --ray-address 127.0.0.1:$port --ray-python /nonexistent/python
expect_error too-many "3 worker(s) asked for, but the cluster has 2 CPU(s)" "${search[@]}" "${ray_options[@]}" --ray-workers 3
leftovers=$(find "$TMPDIR" -maxdepth 1 -name 'weightshare-*' | wc -l)
[ "$leftovers" -eq 0 ] || { echo "ray-test: the workers left $leftovers folder(s) in $TMPDIR" >&2; exit 1; }
echo "== ray: every worker folder removed"
