#!/usr/bin/env python3
"""Golden values for `qcs_core::gauss::truncated_normal_variance`, by mpmath.

Writes core/tests/data/gauss_truncated_var.csv: a, b, Var[X | a < X < b] for X ~ N(0, 1).

Every bound is rounded to float32 first and the reference is computed at that exact value.
The reference is the textbook formula 1 + (a phi(a) - b phi(b))/Z - mean^2 after reflecting the
bin so that its midpoint is <= 0 (where Z = Phi(b) - Phi(a) is a difference of small tails or
straddles 0), evaluated with enough digits for every cancellation: 40 plus four times the digits
of the largest finite bound (the variance is about 1/a^2 while the terms are about a^2) plus
twice the digits lost to the width (a one-ulp bin's variance is about w^2/12).

Run from anywhere: python3 core/tests/reference/gauss_variance_golden.py
"""
import os

import mpmath as mp
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "gauss_truncated_var.csv")
INF = float("inf")


def f32(x):
    return float(np.float32(x))


def next_up(x, k=1):
    v = np.float32(x)
    for _ in range(k):
        v = np.nextafter(v, np.float32(np.inf))
    return float(v)


def variance(a, b):
    if a > b:
        a, b = b, a
    if a == b:
        return mp.mpf(0)
    # Reflect so the midpoint is <= 0.
    if b == INF or (a != -INF and a + b > 0):
        a, b = -b, -a
    big = max([abs(x) for x in (a, b) if abs(x) != INF] + [1.0])
    width = b - a
    dps = 40 + int(4 * mp.log10(big)) + (int(2 * mp.log10(1 / width)) if width < 1 else 0)
    with mp.workdps(dps):
        a_, b_ = mp.mpf(a), mp.mpf(b)
        pdf = lambda t: mp.mpf(0) if mp.isinf(t) else mp.npdf(t)
        tpdf = lambda t: mp.mpf(0) if mp.isinf(t) else t * mp.npdf(t)
        z = mp.ncdf(b_) - mp.ncdf(a_)
        mean = (pdf(a_) - pdf(b_)) / z
        return 1 + (tpdf(a_) - tpdf(b_)) / z - mean * mean


def cases():
    rows = []
    pts = [0.0, 0.1, 0.5, 1.0, 2.0, 2.9, 3.0, 3.1, 4.0, 4.75, 6.0, 10.0, 30.0, 100.0, 1e3, 1e4, 1e6, 1e7, 1e20]
    # Half lines, both sides.
    for p in pts:
        for s in (1, -1):
            rows.append((f32(s * p), INF))
            rows.append((-INF, f32(s * p)))
    # Finite bins of many widths at many offsets, both tails, straddling 0.
    for lo in [-1e4, -100.0, -30.0, -6.0, -3.5, -3.0, -2.0, -1.0, -0.3, 0.0, 0.2, 1.0, 2.5, 3.0, 3.2, 5.0, 8.0,
               30.0, 1000.0]:
        for w in [1e-6, 1e-3, 0.05, 0.3, 0.5, 0.6, 1.0, 2.0, 5.0, 50.0]:
            a, b = f32(lo), f32(lo + w)
            if b > a:
                rows.append((a, b))
    # One-ulp and few-ulp bins.
    for lo in [-50.0, -2.0, -0.5, 0.0, 0.7, 3.0, 20.0]:
        a = f32(lo)
        for k in (1, 5):
            rows.append((a, next_up(a, k)))
    # Around the switches of the algorithm: narrow edge (h = 1/4, |c h| = 1/2) and a' = 3.
    for c in [0.5, 1.9, 2.0, 2.1, 3.0, 3.2]:
        for h in [0.24, 0.25, 0.26]:
            rows.append((f32(c - h), f32(c + h)))
    for a in [2.99, 3.0, 3.01]:
        for w in [0.2, 0.4, 1.0]:
            rows.append((f32(a), f32(a + w)))
    # Reversed order and the reflected side.
    rows += [(b, a) for (a, b) in rows[:40] if a != -INF and b != INF]
    rows += [(-b, -a) for (a, b) in rows[:200] if a != -INF and b != INF]
    return rows


def fmt_in(x):
    return "inf" if x == INF else "-inf" if x == -INF else f"{x:.9g}"


def main():
    rows = cases()
    with open(OUT, "w") as f:
        f.write("a,b,var\n")
        for a, b in rows:
            v = mp.nstr(variance(a, b), 17, strip_zeros=False, min_fixed=-1, max_fixed=-1)
            f.write(f"{fmt_in(a)},{fmt_in(b)},{v}\n")
    print(f"wrote {len(rows)} rows to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
