#!/usr/bin/env python3
"""Regenerate the data the firmware compiles into flash (run from the repository root):

    python3 firmware-sim/data/gen_data.py

Reads models/data/mnist-{test,train}-*.gz (IDX) and writes, byte-reproducibly:

* firmware-sim/data/digits.bin: the first DIGITS = 4 MNIST *test* images (labels 0, 1, 2, 3),
  784 u8 each, row-major 28x28, exactly the IDX bytes (the sensor's signals, x = u8 / 255).
* firmware-sim/data/recon.bin: the small on-device reconstruction problem, all little-endian f32:
  - signal[64]: test image RECON_TEST_INDEX, 2-pixel border cropped (24x24), 3x3 block means
    of u8/255, giving 8x8 (row-major);
  - means[10*64]: per-class means of the same 8x8 images over the *training* set;
  - variances[10]: per-class isotropic variance tau_k^2 = mean over pixels of the per-pixel
    variance within class k (plus 1e-3 so that no component is degenerate);
  - weights[10]: class frequencies of the training set.
  The 8x8 values are computed in float64 and rounded once to float32.
"""
import gzip
import os
import struct

import numpy as np

DIGITS = 4
RECON_TEST_INDEX = 7  # a '7' (test labels run 0, 1, ..., 9, 0, ...)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "models", "data")
OUT = os.path.join(ROOT, "firmware-sim", "data")


def idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    magic = struct.unpack(">I", raw[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim :], dtype=np.uint8).reshape(dims)


def to8x8(images):
    x = images[:, 2:26, 2:26].astype(np.float64) / 255.0
    return x.reshape(-1, 8, 3, 8, 3).mean(axis=(2, 4)).reshape(-1, 64)


def main():
    test = idx("mnist-test-images-idx3-ubyte.gz")
    train = idx("mnist-train-images-idx3-ubyte.gz")
    labels = idx("mnist-train-labels-idx1-ubyte.gz")
    with open(os.path.join(OUT, "digits.bin"), "wb") as f:
        f.write(test[:DIGITS].reshape(-1).tobytes())
    small = to8x8(train)
    signal = to8x8(test[RECON_TEST_INDEX : RECON_TEST_INDEX + 1])[0]
    means, variances, weights = [], [], []
    for k in range(10):
        xs = small[labels == k]
        means.append(xs.mean(axis=0))
        variances.append(xs.var(axis=0).mean() + 1e-3)
        weights.append(len(xs) / len(small))
    blob = np.concatenate([signal, np.concatenate(means), variances, weights]).astype("<f4")
    with open(os.path.join(OUT, "recon.bin"), "wb") as f:
        f.write(blob.tobytes())
    print("digits.bin", DIGITS * 784, "bytes; recon.bin", blob.nbytes, "bytes")


if __name__ == "__main__":
    main()
