#!/bin/sh
# The bundled demo: the digits MLP through search -> merge -> compile -> verify.
# Scores on the validation split; the final table is measured on the test split.
set -eu
cd "$(dirname "$0")/.."
wsc=${WSC:-.build/release/wsc}
fixtures=Tests/Fixtures
demo=${DEMO_DIR:-.build/demo}
rm -rf "$demo"
mkdir -p "$demo"

# GENOME=full searches scales, clipping and outliers too; the default is the paper's search (K alone).
echo "== search (NSGA-II, --genome ${GENOME:-k}; then bin merging) =="
"$wsc" search "$fixtures/digits_mlp.onnx" --data "$fixtures/digits_val.npz" --out "$demo/run" \
    --input-shape input=1,64 --seed 1 --population "${POPULATION:-100}" --generations "${GENERATIONS:-30}" \
    --genome "${GENOME:-k}"
echo
# The smallest solution that loses nothing on the validation split: choices made on 360 samples overfit them,
# so the demo leaves no margin there and lets the test split show the real loss.
echo "== compile (smallest solution with no loss on the validation split) =="
"$wsc" compile "$demo/run" --max-loss "${MAX_LOSS:-0}" -o "$demo/out"
echo
echo "== verify on the test split (C runtime vs float model) =="
"$wsc" verify "$demo/out/model.wsm" --model "$fixtures/digits_mlp.onnx" --data "$fixtures/digits_test.npz"
