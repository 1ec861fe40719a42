#!/usr/bin/env bash
# Genome benchmark (issue 5): for each fixture, `wsc search --genome k` (the paper: K alone over the raw weights)
# against `--genome full` (K, scale mode and statistic, clip quantiles, outlier budget; scale refit and bias
# correction), same seed, population and generations. Classifiers are searched with --metric agreement (a
# candidate cannot gain on the 360 validation samples by luck) and every front solution, merged and unmerged, is
# then scored on the held-out test split with --metric accuracy (`wsc pareto --data`); bench/genome.py writes
# bench/genome.json: per fixture and genome, the best weight CR (fixed width, every byte counted) at <= 1 point
# test-accuracy drop (cosine >= 0.99 for the autoencoder) and the evaluations it took.
# Also the BatchNorm-folding comparison of issue 3 (cnn/resnet, cnn/mobilenet: --bn-fold epilogue vs weights).
#   bench/genome.sh        (needs swift, python3; ~35 min on 2 cores)
# SCRATCH=<folder> build and run folder (default .build-bench); POP, GENS, KMAX, SEED; TOL (merge tolerance in
# points, default 1: the budget); ONLY="name ..." a subset; WSC=<path> uses that wsc instead of building one;
# RUNS=<folder> the run folders (default SCRATCH/genome-runs); OUT=<file> (default bench/genome.json).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
RUNS=${RUNS:-$SCRATCH/genome-runs}
OUT=${OUT:-$ROOT/bench/genome.json}
POP=${POP:-60}; GENS=${GENS:-12}; KMAX=${KMAX:-1024}; SEED=${SEED:-1}; TOL=${TOL:-1}
cd "$ROOT"
mkdir -p "$RUNS"

if [ -z "${WSC:-}" ]; then
    echo "== release build of wsc" >&2
    swift build -c release --scratch-path "$SCRATCH" --product wsc >&2
    WSC=$SCRATCH/release/wsc
fi
FIX=Tests/Fixtures

# name | model | metric of the budget | input shape | extra search options
CASES="
resnet_folded|$FIX/folded/resnet_folded.onnx|accuracy|input=1,1,8,8|
repvgg|$FIX/folded/repvgg.onnx|accuracy|input=1,1,8,8|
mobilenet_folded|$FIX/folded/mobilenet_folded.onnx|accuracy|input=1,1,8,8|
autoencoder|$FIX/folded/autoencoder.onnx|cosine|input=1,64|
digits_mlp|$FIX/digits_mlp.onnx|accuracy|input=1,64|
lenet|$FIX/cnn/lenet.onnx|accuracy|input=1,1,8,8|
resnet|$FIX/cnn/resnet.onnx|accuracy|input=1,1,8,8|
mobilenet|$FIX/cnn/mobilenet.onnx|accuracy|input=1,1,8,8|
resnet_bnweights|$FIX/cnn/resnet.onnx|accuracy|input=1,1,8,8|--bn-fold weights
mobilenet_bnweights|$FIX/cnn/mobilenet.onnx|accuracy|input=1,1,8,8|--bn-fold weights
"
echo "$CASES" | while IFS='|' read -r name model metric shape extra; do
    [ -n "$name" ] || continue
    if [ -n "${ONLY:-}" ] && ! [[ " $ONLY " == *" $name "* ]]; then continue; fi
    genomes="k full"
    case "$name" in *_bnweights) genomes="k" ;; esac
    for genome in $genomes; do
        out=$RUNS/$name-$genome
        rm -rf "$out"
        echo "== $name, --genome $genome" >&2
        start=$(date +%s.%N)
        search_metric=$metric
        if [ "$metric" = accuracy ]; then search_metric=agreement; fi
        # shellcheck disable=SC2086
        "$WSC" search "$model" --data $FIX/digits_val.npz --out "$out" --input-shape "$shape" --metric "$search_metric" \
            --genome "$genome" --population "$POP" --generations "$GENS" --k-max "$KMAX" --seed "$SEED" \
            --tolerance "$TOL" --merge-floor float $extra \
            --json > /dev/null
        end=$(date +%s.%N)
        echo "$start $end" > "$out/bench-seconds"
        "$WSC" pareto "$out" --data $FIX/digits_test.npz --metric "$metric" --json > "$out/heldout.json"
    done
done

${PYTHON:-python3} bench/genome.py --runs "$RUNS" --out "$OUT" \
    --settings "population=$POP generations=$GENS k_max=$KMAX seed=$SEED merge_tolerance_points=$TOL merge_floor=float search_metric=agreement(classifiers)/cosine"
