#!/usr/bin/env python3
"""Rendered text images for the PP-OCR models of rapidocr (bench/real_ocr.py, bench/evaluator_speed.py): single
text lines (the recogniser's 48x320 input) and pages of several lines (the DBNet detector), drawn with the DejaVu
fonts (Debian's fonts-dejavu-core) in varied sizes, ink colours, backgrounds, lighting, blur and noise, and
normalised as rapidocr does, (pixel / 255 - 0.5) / 0.5, NCHW. Deterministic for a seed. Writes NAME.npz (`x`,
shape [n, 1, 3, H, W]: one model input per sample), for lines also NAME.txt (the text of each line, one per row).

    python bench/make_text_images.py OUT_DIR NAME --kind line|page --count N [--seed S] [--height H --width W]
"""
import argparse
import glob
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
WORDS = ("the quick brown fox jumps over lazy dog invoice total amount date order number street city account "
         "balance payment due receipt customer service phone email address weight flash memory model board sensor "
         "voltage current 2026 12 07 3.14 42 100% EUR USD No. Ref: Tel. www.example.com").split()


def fonts():
    found = sorted(glob.glob(os.path.join(FONT_DIR, "*.ttf")))
    if not found:
        raise SystemExit(f"no fonts in {FONT_DIR}: install Debian's fonts-dejavu-core")
    return found


def words(rng, lo, hi):
    return " ".join(rng.choice(WORDS) for _ in range(rng.integers(lo, hi + 1)))


def background(rng, h, w):
    img = np.full((h, w, 3), rng.uniform(170, 255), np.float32) + rng.uniform(-20, 20, 3)
    img += np.linspace(0, rng.uniform(-30, 30), w)[None, :, None]          # uneven lighting
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def finish(rng, im):
    if rng.random() < 0.5:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.9)))
    a = np.asarray(im).astype(np.float32) + rng.normal(0, rng.uniform(2, 8), (im.height, im.width, 3))
    return np.clip(a, 0, 255)


def ink(rng, darkest):
    return tuple(int(v) for v in rng.uniform(0, darkest, 3))


def line(rng, faces, h, w):
    while True:                                                             # a text that fits the line
        text = words(rng, 1, 4)
        font = ImageFont.truetype(str(rng.choice(faces)), int(rng.integers(22, 34)))
        left, top, right, bottom = font.getbbox(text)
        if right - left + 8 <= w:
            break
    im = background(rng, h, w)
    x = int(rng.integers(2, max(3, w - (right - left) - 4)))
    ImageDraw.Draw(im).text((x, (h - (bottom - top)) // 2 - top), text, font=font, fill=ink(rng, 70))
    return finish(rng, im), text


def page(rng, faces, h, w):
    im = background(rng, h, w)
    draw, y = ImageDraw.Draw(im), int(rng.integers(4, 20))
    while True:
        font = ImageFont.truetype(str(rng.choice(faces)), int(rng.integers(14, 30)))
        text = words(rng, 2, 6)
        _, top, _, bottom = font.getbbox(text)
        if y + (bottom - top) + 4 > h:
            break
        draw.text((int(rng.integers(4, 60)), y - top), text, font=font, fill=ink(rng, 80))
        y += (bottom - top) + int(rng.integers(6, 24))
    return finish(rng, im)


def normalised(pixels):
    return ((pixels / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None].astype(np.float32)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("name")
    p.add_argument("--kind", choices=["line", "page"], required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--height", type=int)
    p.add_argument("--width", type=int)
    a = p.parse_args()
    rng, faces = np.random.default_rng(a.seed), fonts()
    os.makedirs(a.out, exist_ok=True)
    if a.kind == "line":
        items = [line(rng, faces, a.height or 48, a.width or 320) for _ in range(a.count)]
        with open(os.path.join(a.out, a.name + ".txt"), "w") as f:
            f.write("".join(text + "\n" for _, text in items))
        images = [pixels for pixels, _ in items]
    else:
        images = [page(rng, faces, a.height or 256, a.width or 512) for _ in range(a.count)]
    np.savez(os.path.join(a.out, a.name + ".npz"), x=np.stack([normalised(i) for i in images]))


if __name__ == "__main__":
    main()
