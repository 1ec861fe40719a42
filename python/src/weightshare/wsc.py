"""Thin wrappers over the ``wsc`` command-line compiler: each runs ``wsc <command> ... --json`` and returns the
JSON report as a dict (the keys are those of README.md, "JSON keys (stable)").

Keyword options map onto wsc's options one to one: ``k_max=64`` is ``--k-max 64``, ``no_merge=True`` is
``--no-merge`` (``False``/``None`` leave an option out), a list repeats the option, and ``input_shape`` also takes
a dict ``{"input": (1, 64)}``. Which options exist is wsc's business: an unknown one fails with wsc's own message.

wsc is found, in order: the ``wsc=`` argument, the ``WSC`` environment variable, ``wsc`` on ``PATH``.
A failing command raises :class:`WscError` carrying wsc's exit status and standard error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from typing import Any, Dict, List, Optional, Sequence

__all__ = ["WscError", "WscNotFoundError", "find_wsc", "call", "check", "search", "pareto", "merge", "compile",
           "verify", "inspect", "boards"]


class WscNotFoundError(FileNotFoundError):
    """No wsc binary was found (argument, ``$WSC``, ``PATH``)."""


class WscError(RuntimeError):
    """wsc exited with a non-zero status, or printed no JSON report.

    Attributes: ``command`` (the argument list run), ``returncode``, ``stderr``, ``stdout``.
    """

    def __init__(self, command: List[str], returncode: int, stderr: str, stdout: str, reason: str = ""):
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        self.stdout = stdout
        subcommand = command[1] if len(command) > 1 else "wsc"
        text = reason or f"wsc {subcommand} failed (exit status {returncode})"
        detail = stderr.strip()
        super().__init__(text + (":\n" + detail if detail else ""))


def find_wsc(wsc: Optional[str] = None) -> str:
    """The path of the wsc binary: ``wsc`` if given, else ``$WSC``, else ``wsc`` on ``PATH``."""
    for candidate, origin in ((wsc, "the wsc argument"), (os.environ.get("WSC"), "$WSC")):
        if candidate:
            path = shutil.which(candidate) or (candidate if os.path.isfile(candidate) else None)
            if path is None or not os.access(path, os.X_OK):
                raise WscNotFoundError(f"{origin} names '{candidate}', which is not an executable file")
            return path
    path = shutil.which("wsc")
    if path is None:
        raise WscNotFoundError("wsc not found: pass wsc='/path/to/wsc', set $WSC, or put wsc on PATH "
                               "(build it with `swift build -c release --product wsc`)")
    return path


def _option_arguments(options: Dict[str, Any]) -> List[str]:
    args: List[str] = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif key == "input_shape" and isinstance(value, dict):
            for name, shape in value.items():
                dims = shape if isinstance(shape, str) else ",".join(str(int(d)) for d in shape)
                args += [flag, f"{name}={dims}"]
        elif isinstance(value, (list, tuple)):
            for item in value:
                args += [flag, os.fspath(item) if isinstance(item, os.PathLike) else str(item)]
        else:
            args += [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]
    return args


def call(subcommand: str, *arguments: Any, wsc: Optional[str] = None, progress: bool = False,
         timeout: Optional[float] = None, **options: Any) -> Dict[str, Any]:
    """Runs ``wsc <subcommand> <arguments> <options> --json`` and returns the parsed JSON report.

    ``progress=True`` copies wsc's standard error (progress lines) to ``sys.stderr`` as it runs; it is kept for
    the error message either way. ``timeout`` (seconds) stops wsc and raises :class:`WscError`.
    """
    command = [find_wsc(wsc), subcommand] + [os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in arguments]
    command += _option_arguments(options) + ["--json"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, encoding="utf-8", errors="replace")
    err_lines: List[str] = []

    def pump() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            err_lines.append(line)
            if progress:
                sys.stderr.write(line)
                sys.stderr.flush()

    out_parts: List[str] = []

    def collect() -> None:
        assert process.stdout is not None
        out_parts.append(process.stdout.read())

    # Each stream has its own reader; communicate() would read (and close) stderr too, racing with pump() and
    # losing progress lines.
    readers = [threading.Thread(target=pump, daemon=True), threading.Thread(target=collect, daemon=True)]
    for reader in readers:
        reader.start()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        for reader in readers:
            reader.join()
        raise WscError(command, -9, "".join(err_lines), "", f"wsc {subcommand} did not finish in {timeout} s") from None
    for reader in readers:
        reader.join()
    stdout = "".join(out_parts)
    stderr = "".join(err_lines)
    if process.returncode != 0:
        raise WscError(command, process.returncode, stderr, stdout)
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError as error:
        raise WscError(command, process.returncode, stderr, stdout,
                       f"wsc {subcommand} printed no JSON report ({error})") from None
    return report


def check(model: Any, **options: Any) -> Dict[str, Any]:
    """``wsc check model.onnx``: can the model be compiled (unsupported operators, dynamic dimensions)?

    wsc exits with status 1 for a model that cannot be compiled; that report is returned, not raised.
    """
    try:
        return call("check", model, **options)
    except WscError as error:
        if error.returncode == 1 and error.stdout.strip():
            try:
                return json.loads(error.stdout)
            except json.JSONDecodeError:
                pass
        raise


def search(model: Any, data: Any, out: Any, **options: Any) -> Dict[str, Any]:
    """``wsc search model.onnx --data val.npz --out run_dir``: the NSGA-II search; returns pareto.json's report.
    With ``executor="ray", ray_address="HOST:PORT"`` the candidates are scored on a Ray cluster; the bridge is this
    package's ``ray_bridge.py`` unless ``ray_bridge=`` says otherwise."""
    if options.get("executor") == "ray" and options.get("ray_bridge") is None:
        options["ray_bridge"] = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ray_bridge.py")
    return call("search", model, data=data, out=out, **options)


def pareto(run_directory: Any, **options: Any) -> Dict[str, Any]:
    """``wsc pareto run_dir``: the run's front (with ``data=``, scored on held-out data)."""
    return call("pareto", run_directory, **options)


def merge(run_directory: Any, solution: int, **options: Any) -> Dict[str, Any]:
    """``wsc merge run_dir --solution N``: the iterative bin merge of one solution."""
    return call("merge", run_directory, solution=solution, **options)


def compile(run_directory: Any, output: Any, **options: Any) -> Dict[str, Any]:  # noqa: A001 (wsc's name)
    """``wsc compile run_dir -o output``: writes model.wsm and model_data.c/.h (and images with a board)."""
    return call("compile", run_directory, output=output, **options)


def verify(wsm: Any, model: Any, data: Any, **options: Any) -> Dict[str, Any]:
    """``wsc verify model.wsm --model model.onnx --data test.npz``: the .wsm against its float model."""
    return call("verify", wsm, model=model, data=data, **options)


def inspect(wsm: Any, **options: Any) -> Dict[str, Any]:
    """``wsc inspect model.wsm``: tensors, operators, codebook and memory plan of a .wsm file."""
    return call("inspect", wsm, **options)


def boards(**options: Any) -> Dict[str, Any]:
    """``wsc boards``: the board descriptions wsc knows."""
    return call("boards", **options)
