#!/usr/bin/env python3
"""Golden values for the pseudo-likelihood scores of qcs-core (paper eq. 15/29, 18, 19, 20).

Independent reference: mpmath at 50 digits, evaluated at the exact float32 values of every
input (inputs are rounded to float32 first, then converted exactly). Writes
core/tests/data/likelihood_{one_bit,quantized,linear_diagonal,linear_exact}.csv.

Run from the repository root:  python3 core/tests/reference/likelihood_golden.py
"""
import csv
import os

import mpmath as mp
import numpy as np

mp.mp.dps = 50
OUT = os.path.join(os.path.dirname(__file__), "..", "data")
rng = np.random.default_rng(20261128)


def f32(v):
    return float(np.float32(v))


def s_of(sigma, beta, n2):
    return mp.sqrt(mp.mpf(sigma) ** 2 + mp.mpf(beta) ** 2 * mp.mpf(n2))


def tmean(a, b):
    """E[X | a < X < b], X ~ N(0,1), from the definition (phi(a)-phi(b))/(Phi(b)-Phi(a))."""
    pdf = lambda t: mp.mpf(0) if mp.isinf(t) else mp.npdf(t)
    num = pdf(a) - pdf(b)
    # Phi(b) - Phi(a) without cancellation: use the tail on the side of the interval.
    if a >= 0:
        den = mp.ncdf(-a) - mp.ncdf(-b)
    elif b <= 0:
        den = mp.ncdf(b) - mp.ncdf(a)
    else:
        den = mp.ncdf(b) - mp.ncdf(a)
    if den == 0:  # width far below 50 digits: midpoint limit
        return (a + b) / 2
    return num / den


def g_interval(z, l, u, sigma, beta, n2):
    s = s_of(sigma, beta, n2)
    a = (mp.mpf(l) - z) / s if not mp.isinf(l) else mp.mpf(l)
    b = (mp.mpf(u) - z) / s if not mp.isinf(u) else mp.mpf(u)
    return tmean(a, b) / s


def fmt(x):
    return mp.nstr(x, 20) if not isinstance(x, float) else repr(x)


def write(name, header, rows):
    with open(os.path.join(OUT, name), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([fmt(v) if not isinstance(v, (int, str)) else v for v in r])


def scenario_params():
    """(sigma, beta, norm2) triples: the paper's, and extremes."""
    out = [(0.05, 50.0, 1.0), (0.05, 0.01, 1.0), (0.05, 1.0, 1.0), (1e-3, 0.01, 1.0),
           (1e-8, 1e-4, 1.0), (1e-8, 1e-4, 1e-6), (0.5, 1e3, 784.0), (0.1, 1e-4, 0.5),
           (0.0, 0.01, 1.0), (2.0, 0.3, 3.0)]
    return [tuple(f32(v) for v in p) for p in out]


def one_bit_rows():
    rows = []
    zs = [0.0, 1e-6, -1e-6, 0.01, -0.01, 0.3, -0.3, 1.0, -1.0, 3.0, -3.0, 10.0, -10.0,
          100.0, -100.0, 1e4, -1e4, 1e6, -1e6]
    for sigma, beta, n2 in scenario_params():
        s = float(s_of(sigma, beta, n2))
        for zz in zs + [s * t for t in (-40.0, -8.0, -4.75, -1.0, 0.5, 6.0)]:
            z = f32(zz)
            for y in (1.0, -1.0):
                l, u = (0.0, mp.inf) if y > 0 else (-mp.inf, 0.0)
                rows.append((z, y, sigma, beta, n2, g_interval(mp.mpf(z), l, u, sigma, beta, n2)))
    return rows


def quantized_rows():
    rows = []
    for sigma, beta, n2 in scenario_params():
        s = float(s_of(sigma, beta, n2))
        for bits, delta in ((2, 0.5), (3, 0.25), (3, 1e-4), (4, 1e3), (8, 0.01)):
            L = 2 ** bits
            thr = [(r - 2 ** (bits - 1)) * delta for r in range(1, L)]  # eq. 4 upper edges
            for _ in range(6):
                code = int(rng.integers(0, L))
                lo = -mp.inf if code == 0 else f32(thr[code - 1])
                hi = mp.inf if code == L - 1 else f32(thr[code])
                centre = 0.0 if code in (0, L - 1) else (float(lo) + float(hi)) / 2
                span = max(s, delta)
                z = f32(centre + span * float(rng.choice([0.0, 0.3, -2.0, 5.0, -30.0, 1e3])))
                rows.append((z, lo, hi, sigma, beta, n2,
                             g_interval(mp.mpf(z), lo, hi, sigma, beta, n2)))
    return rows


def linear_diag_rows():
    rows = []
    for sigma, beta, n2 in scenario_params():
        if sigma == 0.0:
            continue
        for _ in range(5):
            z = f32(rng.normal() * 3)
            y = f32(rng.normal() * 3)
            s2 = mp.mpf(sigma) ** 2 + mp.mpf(beta) ** 2 * mp.mpf(n2)
            rows.append((z, y, sigma, beta, n2, (mp.mpf(y) - mp.mpf(z)) / s2))
    return rows


def linear_exact_rows():
    """One M = 5 problem: A (5x9) with a spread spectrum; eigendecomposition in float64."""
    m, n = 5, 9
    a = rng.normal(size=(m, n)) * np.array([3.0, 1.0, 0.3, 0.1, 0.03])[:, None]
    lam, u = np.linalg.eigh(a @ a.T)
    u = u.astype(np.float32)
    lam = np.maximum(lam, 0).astype(np.float32)
    rows = []
    for sigma, beta in ((0.05, 0.01), (0.05, 1.0), (0.1, 50.0), (1e-3, 1e-4)):
        sigma, beta = f32(sigma), f32(beta)
        y = rng.normal(size=m).astype(np.float32)
        z = rng.normal(size=m).astype(np.float32)
        U = mp.matrix([[mp.mpf(float(v)) for v in row] for row in u])
        r = mp.matrix([mp.mpf(float(yy)) - mp.mpf(float(zz)) for yy, zz in zip(y, z)])
        d = mp.diag([1 / (mp.mpf(sigma) ** 2 + mp.mpf(beta) ** 2 * mp.mpf(float(l))) for l in lam])
        g = U * d * U.T * r
        rows.append([sigma, beta] + [float(v) for v in y] + [float(v) for v in z]
                    + [float(v) for v in u.ravel()] + [float(v) for v in lam] + [g[i] for i in range(m)])
    return rows


def main():
    os.makedirs(OUT, exist_ok=True)
    write("likelihood_one_bit.csv", ["z", "y", "sigma", "beta", "norm2", "g"], one_bit_rows())
    write("likelihood_quantized.csv", ["z", "lower", "upper", "sigma", "beta", "norm2", "g"],
          quantized_rows())
    write("likelihood_linear_diagonal.csv", ["z", "y", "sigma", "beta", "norm2", "g"],
          linear_diag_rows())
    m = 5
    write("likelihood_linear_exact.csv",
          ["sigma", "beta"] + [f"y{i}" for i in range(m)] + [f"z{i}" for i in range(m)]
          + [f"u{i}" for i in range(m * m)] + [f"lambda{i}" for i in range(m)]
          + [f"g{i}" for i in range(m)], linear_exact_rows())


if __name__ == "__main__":
    main()
