#!/usr/bin/env python3
"""numpy/scipy (float32) baseline of the pseudo-likelihood kernel G, the same computation as
benches/likelihood.rs: one-bit (eq. 18) and 3-bit (eq. 29), M = 200 and 10 000, sigma = 0.05,
beta = 1 (and 0.01 for 3-bit), ||a_m||^2 = 1. Written the way the authors' PyTorch code computes it (erfc-based
Phi, float32), vectorized. Prints one JSON object per line: {"id": ..., "ns_per_measurement": ...,
"nonfinite": how many outputs are NaN/inf}.
"""
import json
import statistics
import timeit

import numpy as np
from scipy.special import ndtr

SQRT_2PI = np.float32(np.sqrt(2 * np.pi))


def inputs(m):
    rng = np.random.default_rng(1)
    z = rng.standard_normal(m).astype(np.float32)
    y = (z + np.float32(0.5) * rng.standard_normal(m).astype(np.float32)).astype(np.float32)
    return z, y


def one_bit(z, y, s):
    zt = z / s
    pdf = np.exp(np.float32(-0.5) * zt * zt) / SQRT_2PI
    return y * pdf / (s * ndtr(y * zt))


def quantized(z, lo, hi, s):
    a = (lo - z) / s
    b = (hi - z) / s
    pa = np.exp(np.float32(-0.5) * a * a) / SQRT_2PI
    pb = np.exp(np.float32(-0.5) * b * b) / SQRT_2PI
    return (pa - pb) / (s * (ndtr(b) - ndtr(a)))


def nonfinite(fn):
    """How many of the baseline's outputs are NaN or infinite (the naive formula's 0/0)."""
    with np.errstate(all="ignore"):
        return int(np.count_nonzero(~np.isfinite(fn())))


def time_ns(fn, m):
    """Median over 15 repeats of the time per call, per measurement (ns)."""
    np.seterr(all="ignore")
    number = max(1, 200_000 // m)
    return statistics.median(timeit.repeat(fn, number=number, repeat=15)) / number / m * 1e9


def main():
    s = np.float32(np.sqrt(0.05 ** 2 + 1.0))
    s_last = np.float32(np.sqrt(0.05 ** 2 + 0.01 ** 2))  # beta = 0.01, the last level
    for m in (200, 10_000):
        z, y = inputs(m)
        sign = np.where(y >= 0, 1, -1).astype(np.float32)
        fn = lambda: one_bit(z, sign, s)
        print(json.dumps({"id": f"likelihood_g/one_bit/{m}", "ns_per_measurement": time_ns(fn, m),
                          "nonfinite": nonfinite(fn)}))
        delta = np.float32(0.5)
        code = np.clip(np.floor(y / delta) + 4, 0, 7)
        lo = np.where(code == 0, -np.inf, (code - 4) * delta).astype(np.float32)
        hi = np.where(code == 7, np.inf, (code - 3) * delta).astype(np.float32)
        for name, level_s in (("three_bit", s), ("three_bit_last_level", s_last)):
            fn = lambda: quantized(z, lo, hi, level_s)
            print(json.dumps({"id": f"likelihood_g/{name}/{m}",
                              "ns_per_measurement": time_ns(fn, m), "nonfinite": nonfinite(fn)}))


if __name__ == "__main__":
    main()
