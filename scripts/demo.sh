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
# The default choice: the search kept 30 % of the validation split apart (the selection split, never seen by
# NSGA-II or the merge); compile takes the smallest solution whose loss there is within 1 point with 90 %
# confidence, and says when 108 samples cannot resolve that. The test split then shows the real loss.
echo "== compile (smallest solution within 1 point with 90 % confidence on the selection split) =="
"$wsc" compile "$demo/run" ${MAX_LOSS:+--max-loss "$MAX_LOSS"} -o "$demo/out"
echo
echo "== verify on the test split (C runtime vs float model) =="
"$wsc" verify "$demo/out/model.wsm" --model "$fixtures/digits_mlp.onnx" --data "$fixtures/digits_test.npz"
