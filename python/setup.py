"""Builds weightshare._runtime: the CPython extension (src/weightshare/_runtime.c) with the WeightShare C runtime
compiled into it from its sources. No Swift, no CMake: setuptools and a C compiler.

Where the runtime's sources come from, in order:
  1. $WEIGHTSHARE_RUNTIME_DIR (a folder with include/ws_runtime.h and src/*.c);
  2. ../Runtime next to this folder (pip install ./python from the repository);
  3. ./runtime (the copy an sdist made with this file carries, see SdistWithRuntime).
The runtime is compiled as in its own Makefile: C99 (-std=c99 also turns off floating-point contraction in GCC, so
results are the bits `make -C Runtime` gives); warnings are shown, not errors (make -C Runtime test enforces them).
"""

import glob
import os
import shutil
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.sdist import sdist

HERE = os.path.dirname(os.path.abspath(__file__))


def runtime_dir():
    candidates = []
    if os.environ.get("WEIGHTSHARE_RUNTIME_DIR"):
        candidates.append(os.path.abspath(os.environ["WEIGHTSHARE_RUNTIME_DIR"]))
    candidates += [os.path.join(os.path.dirname(HERE), "Runtime"), os.path.join(HERE, "runtime")]
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, "include", "ws_runtime.h")) and glob.glob(os.path.join(folder, "src", "*.c")):
            return folder
    sys.exit("weightshare: the C runtime's sources were not found (looked in: " + ", ".join(candidates)
             + "); build from the WeightShare repository (pip install ./python) or set WEIGHTSHARE_RUNTIME_DIR")


RUNTIME = runtime_dir()
RUNTIME_SOURCES = sorted(glob.glob(os.path.join(RUNTIME, "src", "*.c")))
RUNTIME_HEADERS = sorted(glob.glob(os.path.join(RUNTIME, "include", "*.h")) + glob.glob(os.path.join(RUNTIME, "src", "*.h")))


class BuildExtWithRuntime(build_ext):
    """Compiles the runtime's sources with their own flags and links the objects into the extension."""

    def build_extension(self, ext):
        unix = self.compiler.compiler_type == "unix"
        flags = ["-std=c99", "-O2", "-Wall", "-Wextra", "-pedantic"] if unix else []
        objects = self.compiler.compile(RUNTIME_SOURCES, output_dir=os.path.join(self.build_temp, "runtime"),
                                        include_dirs=[os.path.join(RUNTIME, "include")], extra_postargs=flags,
                                        depends=RUNTIME_HEADERS, debug=self.debug)
        ext.extra_objects = list(objects) + list(ext.extra_objects or [])
        if unix:
            ext.libraries = list(ext.libraries or []) + ["m"]
        super().build_extension(ext)


class SdistWithRuntime(sdist):
    """An sdist carries a copy of the runtime's sources in runtime/, so it builds away from the repository."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        target = os.path.join(base_dir, "runtime")
        if os.path.abspath(RUNTIME) != os.path.abspath(os.path.join(HERE, "runtime")):
            for part in ("include", "src"):
                shutil.copytree(os.path.join(RUNTIME, part), os.path.join(target, part),
                                ignore=shutil.ignore_patterns("*.o", "*.a"))


setup(
    ext_modules=[
        Extension(
            "weightshare._runtime",
            sources=["src/weightshare/_runtime.c"],
            include_dirs=[os.path.join(RUNTIME, "include")],
            depends=RUNTIME_HEADERS,
        )
    ],
    cmdclass={"build_ext": BuildExtWithRuntime, "sdist": SdistWithRuntime},
)
