#!/usr/bin/env python3
"""Independent reimplementation of `qcs_core::operator::SeededGaussian` (paper eq. 1-2).

Reads only the documented recipe (core/src/rng.rs module docs and the `SeededGaussian` type
docs), never the Rust code's output:

    row m of A = first N variates of fill_standard_normal(stream_rng(seed, m)) * scale,
    scale = 1 / sqrtf(M)  (PerMeasurement),  1  (Unit),  1 / sqrtf(N)  (UnitRows).

stream_rng: state = seed ^ (m * 0xD1B54A32D192ED03 mod 2^64); two SplitMix64 outputs w0, w1;
xoshiro128++ state [lo(w0), hi(w0), lo(w1), hi(w1)].  Normals: Marsaglia's polar method in
float32, every operation rounded to float32 step by step with numpy.float32.

logf: this script uses a *correctly rounded* logf (float64 log of the float32 input, rounded
to float32; the float64 result is accurate to < 1 ulp of float64, so the float32 rounding is
correct except in astronomically rare double-rounding cases).  musl's logf (used by the Rust
code through `libm`) is not guaranteed correctly rounded, so a few entries may differ by an
ulp or so; the Rust test reports how many are bit-equal.

Writes core/tests/data/operators_seeded.csv with columns
    seed,rows,cols,scaling,m,n,bits,value
(bits: the float32 bit pattern in hex; value: the same number in decimal, for reading).

Run:  python3 core/tests/reference/operators_seeded.py
"""

import math
import os

import numpy as np

MASK64 = (1 << 64) - 1
MASK32 = (1 << 32) - 1
F32 = np.float32


def splitmix64(state):
    """One SplitMix64 step: returns (new_state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def rotl32(x, k):
    return ((x << k) | (x >> (32 - k))) & MASK32


class Xoshiro128pp:
    """xoshiro128++ (Blackman & Vigna 2018)."""

    def __init__(self, s):
        if all(w == 0 for w in s):
            raise ValueError("all-zero state (not reachable from SplitMix64 in practice)")
        self.s = list(s)

    def next_u32(self):
        s0, s1, s2, s3 = self.s
        result = (rotl32((s0 + s3) & MASK32, 7) + s0) & MASK32
        t = (s1 << 9) & MASK32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl32(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result


def stream_rng(seed, stream):
    state = seed ^ ((stream * 0xD1B54A32D192ED03) & MASK64)
    state, w0 = splitmix64(state)
    state, w1 = splitmix64(state)
    return Xoshiro128pp([w0 & MASK32, w0 >> 32, w1 & MASK32, w1 >> 32])


def uniform_pm1(rng):
    # (next_u32 >> 8) as f32 * 2^-23 - 1, each step in float32 (all exact).
    return F32(rng.next_u32() >> 8) * F32(1.0 / 8388608.0) - F32(1.0)


def logf_correctly_rounded(s):
    return F32(math.log(float(s)))


def standard_normal_pair(rng):
    while True:
        u = uniform_pm1(rng)
        v = uniform_pm1(rng)
        s = u * u + v * v  # float32 products, float32 sum
        assert s.dtype == np.float32
        if F32(0.0) < s < F32(1.0):
            f = np.sqrt((F32(-2.0) * logf_correctly_rounded(s)) / s)
            assert f.dtype == np.float32
            return u * f, v * f


def fill_standard_normal(rng, n):
    out = []
    while len(out) < n:
        a, b = standard_normal_pair(rng)
        out.append(a)
        if len(out) < n:
            out.append(b)
    return out


def entry_scale(scaling, rows, cols):
    if scaling == "PerMeasurement":
        return F32(1.0) / np.sqrt(F32(rows))
    if scaling == "Unit":
        return F32(1.0)
    if scaling == "UnitRows":
        return F32(1.0) / np.sqrt(F32(cols))
    raise ValueError(scaling)


def matrix(seed, rows, cols, scaling):
    scale = entry_scale(scaling, rows, cols)
    a = np.empty((rows, cols), dtype=np.float32)
    for m in range(rows):
        g = fill_standard_normal(stream_rng(seed, m), cols)
        for n in range(cols):
            a[m, n] = g[n] * scale
    return a


CASES = [
    # (seed, rows, cols, scaling): odd N exercises the discarded last variate, the maximal
    # seed exercises the wrapping arithmetic, UnitRows the 1/sqrtf(N) scale.
    (12345, 6, 9, "PerMeasurement"),
    (12345, 6, 9, "Unit"),
    (2**64 - 1, 3, 8, "PerMeasurement"),
    (0, 4, 5, "UnitRows"),
    (0xDEADBEEF, 2, 130, "PerMeasurement"),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "data", "operators_seeded.csv")
    lines = ["seed,rows,cols,scaling,m,n,bits,value"]
    for seed, rows, cols, scaling in CASES:
        a = matrix(seed, rows, cols, scaling)
        for m in range(rows):
            for n in range(cols):
                v = a[m, n]
                bits = int(v.view(np.uint32))
                lines.append(f"{seed},{rows},{cols},{scaling},{m},{n},0x{bits:08x},{float(v):.9g}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 1} entries to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
