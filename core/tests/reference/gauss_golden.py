#!/usr/bin/env python3
"""Golden values for `qcs_core::gauss`, computed with mpmath at 50 significant digits.

Writes, next to this script's parent folder (core/tests/data/):

* gauss_erfcx.csv           x, erfcx(x) = exp(x^2) erfc(x)
* gauss_log_ndtr.csv        x, log Phi(x), Phi(x)
* gauss_truncated_mean.csv  a, b, E[X | a < X < b]   (X ~ N(0,1); b = inf is the
                            inverse Mills ratio E[X | X > a])

Every input is first rounded to float32 and the reference value is computed from that exact
float32 value, so the Rust test (which parses the 9-significant-digit decimal back to the
same f32) checks the function, not the input rounding. Expected values are written as f64
decimals (17 significant digits); values beyond f32::MAX are written as they are (the test
then expects +/-inf).

The reference formulas are the textbook ones, evaluated with enough precision that no digit
of the f64 result is lost: Q(x) = erfc(x/sqrt 2)/2 (mpmath's erfc is accurate for huge
arguments), phi(x) = exp(-x^2/2)/sqrt(2 pi), and the truncated mean
(phi(a) - phi(b))/(Q(a) - Q(b)) after reflecting the interval to a + b >= 0; for narrow
intervals the working precision is raised by the number of digits the differences cancel,
and for large inputs by the digits of x^2 (exp(-x^2/2) at x = 1e38 needs 77 digits before
the point).

`python3 gauss_golden.py --derive` instead prints the derivation of the constants used by
the implementation (the erfcx polynomial and the narrow-interval series); it is not needed
for the golden data.

Run from anywhere: python3 core/tests/reference/gauss_golden.py
"""

import os
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 50
INF = float("inf")
F32_MAX = float(np.finfo(np.float32).max)
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


def f32(x):
    """The float32 nearest to x, as a Python float (exact)."""
    return float(np.float32(x))


def next_up(x, k=1):
    """k float32 steps up from the float32 x."""
    v = np.float32(x)
    for _ in range(k):
        v = np.nextafter(v, np.float32(np.inf))
    return float(v)


def fmt_in(x):
    if x == INF:
        return "inf"
    if x == -INF:
        return "-inf"
    return f"{x:.9g}"  # 9 significant digits identify every float32 exactly


def fmt_out(v):
    if mp.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{float(v):.17g}"


def q_upper(x):
    """Q(x) = 1 - Phi(x)."""
    x = mp.mpf(x)
    if mp.isinf(x):
        return mp.mpf(0) if x > 0 else mp.mpf(1)
    return mp.erfc(x / mp.sqrt(2)) / 2


def phi(x):
    x = mp.mpf(x)
    if mp.isinf(x):
        return mp.mpf(0)
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def guard_digits(*xs):
    """Extra working digits so that x^2 (up to 1e77) keeps 50 digits after the point."""
    big = max([1.0] + [abs(float(x)) for x in xs if abs(x) != INF])
    return 10 + 2 * int(np.ceil(np.log10(big)))


def erfcx(x):
    with mp.workdps(50 + guard_digits(x)):
        x = mp.mpf(x)
        return mp.exp(x * x) * mp.erfc(x)


def log_ndtr(x):
    with mp.workdps(50 + guard_digits(x)):
        return mp.log(q_upper(-mp.mpf(x)))


def ndtr(x):
    with mp.workdps(50 + guard_digits(x)):
        return q_upper(-mp.mpf(x))


def truncated_mean(a, b):
    """E[X | a < X < b] for float inputs a < b (possibly infinite)."""
    assert a < b
    if a == -INF and b == INF:
        return mp.mpf(0)
    if b == INF:
        pass
    elif a == -INF or a + b < 0:
        return -truncated_mean(-b, -a)
    # Digits lost to cancellation in phi(a) - phi(b) and Q(a) - Q(b) for narrow intervals.
    extra = guard_digits(a, b)
    if b != INF:
        scale = max(1.0, abs(a), abs(b))
        extra += max(0, int(-np.log10((b - a) * scale)) + 1)
    with mp.workdps(50 + extra):
        num = phi(a) - phi(b)
        den = q_upper(a) - q_upper(b)
        return num / den


def write(name, header, rows):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        f.write(header + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    print(f"wrote {os.path.normpath(path)} ({len(rows)} rows)")


def uniq(xs):
    out, seen = [], set()
    for x in xs:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def erfcx_rows():
    xs = [f32(x) for x in np.linspace(-10.0, 10.0, 801)]
    xs += [f32(x) for x in np.geomspace(1e-12, 3.4e38, 400)]
    xs += [-f32(x) for x in np.geomspace(1e-12, 9.5, 200)]
    xs += [0.0, f32(-9.38), f32(-9.3824), f32(-9.3825), f32(-9.39), -50.0, -1e4]
    xs += [float(np.finfo(np.float32).max), float(np.finfo(np.float32).tiny)]
    rows = []
    for x in uniq(xs):
        v = erfcx(x)
        # Skip values that round to the edge of the f32 range (inf or MAX is then a coin toss).
        if abs(v / F32_MAX - 1) < 1e-4:
            continue
        rows.append((fmt_in(x), fmt_out(v)))
    return rows


def log_ndtr_rows():
    xs = [f32(x) for x in np.linspace(-40.0, 15.0, 1101)]
    xs += [-f32(x) for x in np.geomspace(40.0, 2.5e19, 120)]
    xs += [f32(s * x) for x in np.geomspace(1e-12, 1.0, 40) for s in (-1.0, 1.0)]
    rows = []
    for x in uniq(xs):
        rows.append((fmt_in(x), fmt_out(log_ndtr(x)), fmt_out(ndtr(x))))
    return rows


def truncated_mean_rows():
    pairs = []
    # Half-infinite intervals (the inverse Mills ratio) and the whole line.
    tails = [f32(x) for x in np.linspace(-40.0, 40.0, 161)]
    tails += [f32(s * x) for x in np.geomspace(1e-6, 1e4, 40) for s in (-1.0, 1.0)]
    tails += [1e5, 1e6, f32(1.5e6), 1e10, f32(1e20), f32(3e38)]
    pairs += [(a, INF) for a in tails]
    pairs += [(-INF, f32(b)) for b in np.linspace(-30.0, 30.0, 25)]
    pairs += [(-INF, INF)]
    # One tail: lower bound a >= 0, many widths, and the mirror images.
    lows = [0.0] + [f32(x) for x in np.geomspace(1e-3, 1e4, 30)]
    for a in lows:
        bs = [next_up(a, k) for k in (1, 4, 64, 4096)]
        bs += [f32(a + w) for w in np.geomspace(1e-7, 1e4, 23)]
        for b in uniq(bs):
            if b > a:
                pairs.append((a, b))
                pairs.append((-b, -a))
    # Deep-tail examples from the specification.
    pairs += [(30.0, 30.5), (-1e4, -9999.0), (9999.0, 1e4), (f32(1e4 - 1e-3), 1e4)]
    # Straddling 0.
    sides = [f32(x) for x in np.geomspace(1e-8, 1e4, 22)]
    pairs += [(-x, y) for x in sides for y in sides if x != y]
    pairs += [(-x, next_up(x)) for x in sides]
    # Narrow intervals around moderate values: widths down to one f32 gap.
    rng = np.random.default_rng(20240607)
    for a in rng.uniform(-0.1, 0.1, 60):
        a = f32(a)
        for k in (1, 3, 100, 10000):
            pairs.append((a, next_up(a, k)))
    for a in rng.uniform(-6.0, 6.0, 60):
        a = f32(a)
        for k in (1, 50):
            pairs.append((a, next_up(a, k)))
    # Random intervals of random width anywhere in [-40, 40], plus wide random ones.
    for _ in range(300):
        a = f32(rng.uniform(-40.0, 40.0))
        b = f32(a + 10.0 ** rng.uniform(-6.0, 1.7))
        if b > a:
            pairs.append((a, b))
    for _ in range(100):
        a, b = sorted(f32(x) for x in rng.uniform(-1e4, 1e4, 2))
        if b > a:
            pairs.append((a, b))
    # Around the switch between the narrow-interval series and the closed forms (|c h| near
    # 1/2, h near 1/4, lower bound near 1/2), where the closed forms cancel the most.
    for _ in range(300):
        c = 10.0 ** rng.uniform(-1.0, 3.0)
        h = min(rng.uniform(0.3, 0.8) / c, rng.uniform(0.2, 0.35))
        s = rng.choice([-1.0, 1.0])
        a, b = f32(s * (c - h)), f32(s * (c + h))
        if a != b:
            pairs.append((min(a, b), max(a, b)))
    for _ in range(200):
        a = rng.uniform(-1.0, 1.5)
        b = f32(a + rng.uniform(0.4, 0.7))
        pairs.append((f32(a), b))
    # Huge bounds (answer = the bound nearest 0 to f32 precision).
    for a in (1e5, 1e6, 1e10, f32(1e20), f32(1e38)):
        pairs += [(a, next_up(a)), (a, 2 * a), (-2 * a, -a)]
    rows = []
    for a, b in uniq(pairs):
        rows.append((fmt_in(a), fmt_in(b), fmt_out(truncated_mean(a, b))))
    return rows


def derive():
    """Print the constants of the implementation (not used for the golden data)."""
    import sympy as sp
    from numpy.polynomial import chebyshev as C

    # erfcx: (1 + 2x) erfcx(x) - 1 as a function of q = (x - 2)/(x + 2) (Shepherd and
    # Laframboise 1981), Chebyshev-interpolated in q at 400 nodes, truncated at degree 12.
    def g(q):
        q = mp.mpf(q)
        if q == 1:
            return 2 / mp.sqrt(mp.pi) - 1
        x = 2 * (1 + q) / (1 - q)
        return (1 + 2 * x) * erfcx(x) - 1

    k = 400
    nodes = np.cos(np.pi * (np.arange(k) + 0.5) / k)
    cheb = C.chebfit(nodes, [float(g(q)) for q in nodes], k - 1)
    print("Chebyshev coefficients 13..16 (truncation error):", cheb[13:17])
    for c in C.cheb2poly(cheb[:13]).astype(np.float32):
        print(f"    {float(c)!r},")

    # Narrow interval: mean of s in [-1, 1] under exp(-lam s - mu s^2 / 2) is lam R(lam^2, mu).
    lam, mu, t, big_l = sp.symbols("lambda mu t Lambda")
    z = sum(
        lam ** (2 * n) / sp.factorial(2 * n) * (-mu / 2) ** j / sp.factorial(j)
        * sp.Rational(2, 2 * n + 2 * j + 1)
        for n in range(6)
        for j in range(6)
    )
    r = -sp.diff(sp.log(z), lam) / lam
    r = sp.series(r.subs({lam: t * lam, mu: t * t * mu}), t, 0, 10).removeO().subs(t, 1)
    r = sp.Poly(sp.expand(sp.expand(r).subs(lam, sp.sqrt(big_l))), big_l, mu)
    for mon, c in sorted(r.terms(), key=lambda m: (sum(m[0]), m[0])):
        print(f"R{mon[0]}{mon[1]} = {c}")


def switch_rows(n, seed):
    """n random intervals concentrated on the switches between the algorithms of
    truncated_normal_mean (narrow series / one tail / straddling, a' near 1/2, h near 1/4,
    |c h| near 1/2) and on one-bit arguments, for the extended check `--switch-check`."""
    rng = np.random.default_rng(seed)
    pairs = []
    while len(pairs) < n:
        kind = rng.integers(4)
        if kind == 0:  # around the narrow-series boundary h = 1/4, |c h| = 1/2
            h = f32(rng.uniform(0.2, 0.3))
            c = f32(rng.uniform(1.6, 2.4) * rng.choice([-1.0, 1.0]))
        elif kind == 1:  # |c h| near 1/2 with small h
            h = f32(10.0 ** rng.uniform(-4.0, np.log10(0.25)))
            c = f32(rng.uniform(0.4, 0.6) / h * rng.choice([-1.0, 1.0]))
        elif kind == 2:  # reflected lower bound near 1/2 (tail vs straddling form)
            lo = f32(rng.uniform(0.3, 0.7))
            hi = f32(lo + 10.0 ** rng.uniform(-0.5, 1.5))
            pairs.append((lo, hi) if rng.random() < 0.5 else (-hi, -lo))
            continue
        else:  # straddling 0 with random widths
            lo = f32(-(10.0 ** rng.uniform(-3.0, 1.5)))
            hi = f32(10.0 ** rng.uniform(-3.0, 1.5))
            pairs.append((lo, hi))
            continue
        a, b = f32(c - h), f32(c + h)
        if a < b:
            pairs.append((a, b))
    return [(fmt_in(a), fmt_in(b), fmt_out(truncated_mean(a, b))) for a, b in uniq(pairs)]


def main():
    if "--derive" in sys.argv:
        derive()
        return
    if "--switch-check" in sys.argv:
        # Not committed (too large): python3 gauss_golden.py --switch-check 12000 /tmp/sw.csv
        # then QCS_SWITCH_CSV=/tmp/sw.csv cargo test -p qcs-core --release --test gauss \
        #   -- --ignored switch_check --nocapture
        i = sys.argv.index("--switch-check")
        n, path = int(sys.argv[i + 1]), sys.argv[i + 2]
        rows = switch_rows(n, 7)
        with open(path, "w") as f:
            f.write("a,b,mean\n")
            for r in rows:
                f.write(",".join(r) + "\n")
        print(f"wrote {path} ({len(rows)} rows)")
        return
    os.makedirs(OUT_DIR, exist_ok=True)
    write("gauss_erfcx.csv", "x,erfcx", erfcx_rows())
    write("gauss_log_ndtr.csv", "x,log_ndtr,ndtr", log_ndtr_rows())
    write("gauss_truncated_mean.csv", "a,b,mean", truncated_mean_rows())


if __name__ == "__main__":
    main()
