#!/bin/sh
# Regenerates the C++ FlatBuffers header from Runtime/schema/wsm.fbs (flatc 2.0.8, Debian's
# flatbuffers-compiler, the same version as libflatbuffers-dev's headers).
# With --check, regenerates into a temporary folder and fails if the committed header differs.
set -eu
cd "$(dirname "$0")/.."
out=Sources/WSMFlatBuffers/generated
if [ "${1:-}" = "--check" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    flatc --cpp --gen-mutable --scoped-enums -o "$tmp" Runtime/schema/wsm.fbs
    if ! cmp -s "$tmp/wsm_generated.h" "$out/wsm_generated.h"; then
        echo "error: $out/wsm_generated.h is out of date; run scripts/gen-flatbuffers.sh" >&2
        exit 1
    fi
    echo "flatbuffers header is current"
else
    flatc --cpp --gen-mutable --scoped-enums -o "$out" Runtime/schema/wsm.fbs
    echo "wrote $out/wsm_generated.h"
fi
