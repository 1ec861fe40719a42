#!/bin/sh
# Regenerates, from Runtime/schema/wsm.fbs:
#   Sources/WSMFlatBuffers/generated/wsm_generated.h  the C++ FlatBuffers header (flatc 2.0.8, Debian's
#                                                      flatbuffers-compiler, the same version as libflatbuffers-dev)
#   Runtime/src/ws_schema.h                           the C runtime's vtable offsets, union tags and enum values,
#                                                      read from that header by scripts/gen-ws-schema.py (python3)
# With --check, regenerates both into a temporary folder and fails if a committed file differs.
set -eu
cd "$(dirname "$0")/.."
out=Sources/WSMFlatBuffers/generated
schema_h=Runtime/src/ws_schema.h
if [ "${1:-}" = "--check" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    flatc --cpp --gen-mutable --scoped-enums -o "$tmp" Runtime/schema/wsm.fbs
    python3 scripts/gen-ws-schema.py "$tmp/wsm_generated.h" "$tmp/ws_schema.h"
    stale=0
    if ! cmp -s "$tmp/wsm_generated.h" "$out/wsm_generated.h"; then
        echo "error: $out/wsm_generated.h is out of date; run scripts/gen-flatbuffers.sh" >&2
        stale=1
    fi
    if ! cmp -s "$tmp/ws_schema.h" "$schema_h"; then
        echo "error: $schema_h is out of date; run scripts/gen-flatbuffers.sh" >&2
        stale=1
    fi
    [ "$stale" = 0 ] || exit 1
    echo "generated headers are current"
else
    flatc --cpp --gen-mutable --scoped-enums -o "$out" Runtime/schema/wsm.fbs
    python3 scripts/gen-ws-schema.py "$out/wsm_generated.h" "$schema_h"
    echo "wrote $out/wsm_generated.h and $schema_h"
fi
