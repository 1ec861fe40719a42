# Shared set-up of the bench/*.sh scripts (sourced, not run): a Python venv made once, and the wsc to measure.

# bench_venv VENV IMPORTS [--system-site-packages] -- PIP_ARGS...: makes VENV (python3 -m venv) and pip-installs
# PIP_ARGS into it unless its Python already imports every module of IMPORTS (comma-separated).
bench_venv() {
    local venv=$1 imports=$2 flags=()
    shift 2
    while [ "$1" != "--" ]; do flags+=("$1"); shift; done
    shift
    if ! "$venv/bin/python" -c "import $imports" 2>/dev/null; then
        echo "== Python venv $venv ($*)" >&2
        python3 -m venv "$venv" "${flags[@]}"
        "$venv/bin/pip" install -q "$@" >&2
    fi
}

# bench_wsc: WSC stays as given, or becomes the release build (built first).
bench_wsc() {
    if [ -z "${WSC:-}" ]; then
        echo "== release build of wsc" >&2
        swift build -c release --product wsc >&2
        WSC=$ROOT/.build/release/wsc
    fi
}
