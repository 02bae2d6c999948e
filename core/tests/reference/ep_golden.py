#!/usr/bin/env python3
"""Golden values for the expectation-propagation likelihood score of QCS-SGM+ (qcs_core::ep).

QCS-SGM+ (Meng & Kabashima, AAAI 2024, arXiv 2302.00919) replaces the diagonal approximation of
QCS-SGM's eq. 18 by expectation propagation (EP) on w = A x + n given the pseudo-prior
w ~ N(b, C), b = A x_t, C = sigma^2 I + beta^2 A A^T, and the quantizer's bins l_m <= w_m < u_m.
The score is A^T g with g the gradient of log p(y | b).

This is an independent float64 implementation of that EP, written from its textbook form:

* F module (the factors): the cavity N(mu_m, 1/lam_f), mu = h_f / lam_f, times the bin's
  indicator; its mean and variance by mpmath (truncated normal, 40 digits);
  chi_f = mean of the variances (clamped to [1e-8, 1] / lam_f);
  message to G: lam_g = 1/chi_f - lam_f, h_g = m_f / chi_f - h_f.
* G module (the Gaussian): precision P = C^-1 built as an explicit matrix and inverted with
  numpy (not from the eigen-decomposition the Rust code uses): m_g = (P + lam_g I)^-1 h_g,
  chi_g = trace((P + lam_g I)^-1) / M; message to F: lam_f = 1/chi_g - lam_g,
  h_f = m_g / chi_g - h_g, damped: new <- (1 - rho) new + rho old from the second iteration on.
* Start: h_f = 0, lam_f = M / trace(C) (the G module's output for an empty message).
* Score: g_m = lam_f (E_F[v_m] - mu_m) under the last cavity, the derivative of the log of the
  F module's normaliser with respect to b_m (equal to P m_g at the fixed point).
* Unquantized measurements: g = C^-1 (y - b) by a linear solve (paper eq. 19; EP's fixed point
  for a point-mass factor).

Problems: M = 10, N = 20, A = U diag(d) V^T with random orthogonal U, V (QR with the signs of
R's diagonal fixed) and d_k^2 proportional to kappa^(-k/M), sum d^2 = N (the QCS-SGM+ paper's
ill-conditioned matrix), kappa in {1000, 1}; one-bit, 3-bit uniform, a threshold quantizer and
unquantized; beta from 2 down to 0.01 (the last violates signs by many cavity deviations).
Inputs are rounded to float32 before use, so the Rust test sees the same problem.

Writes core/tests/data/ep_golden.txt: blocks of `key: values` lines, one block per case.
Run from anywhere: python3 core/tests/reference/ep_golden.py
"""
import os

import mpmath as mp
import numpy as np

mp.mp.dps = 40
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "ep_golden.txt")
MIN_RATIO = 1e-8


def f32(v):
    return np.asarray(v, dtype=np.float32).astype(np.float64)


def orthogonal(rng, k):
    q, r = np.linalg.qr(rng.standard_normal((k, k)))
    return q * np.sign(np.diag(r))


def tn_moments(lo, hi):
    """Mean and variance of N(0, 1) truncated to (lo, hi), by mpmath."""
    lo, hi = mp.mpf(lo), mp.mpf(hi)
    if lo > -hi:  # reflect so the bin's midpoint is <= 0, where the CDF differences are exact
        m, v = tn_moments(-hi, -lo)
        return -m, v
    pdf = lambda t: mp.mpf(0) if mp.isinf(t) else mp.npdf(t)
    tpdf = lambda t: mp.mpf(0) if mp.isinf(t) else t * mp.npdf(t)
    z = mp.ncdf(hi) - mp.ncdf(lo)
    mean = (pdf(lo) - pdf(hi)) / z
    m2 = 1 + (tpdf(lo) - tpdf(hi)) / z
    return float(mean), float(m2 - mean * mean)


def ep_score(lower, upper, b, u, s, sigma, beta, rho, iters):
    m = len(b)
    c = u @ np.diag(sigma**2 + beta**2 * s**2) @ u.T
    p = np.linalg.inv(c)
    h_f, lam_f = np.zeros(m), m / np.trace(c)
    for it in range(iters):
        mu, sd = h_f / lam_f, 1 / np.sqrt(lam_f)
        mom = [tn_moments((lower[k] - b[k] - mu[k]) / sd, (upper[k] - b[k] - mu[k]) / sd) for k in range(m)]
        m_f = mu + sd * np.array([t[0] for t in mom])
        ratio = min(max(np.mean([t[1] for t in mom]), MIN_RATIO), 1.0)
        chi_f = ratio / lam_f
        lam_g, h_g = 1 / chi_f - lam_f, m_f / chi_f - h_f
        cov = np.linalg.inv(p + lam_g * np.eye(m))
        m_g, chi_g = cov @ h_g, np.trace(cov) / m
        new_lam, new_h = 1 / chi_g - lam_g, m_g / chi_g - h_g
        if it > 0:
            new_lam, new_h = (1 - rho) * new_lam + rho * lam_f, (1 - rho) * new_h + rho * h_f
        h_f, lam_f = new_h, new_lam
    mu, sd = h_f / lam_f, 1 / np.sqrt(lam_f)
    means = [tn_moments((lower[k] - b[k] - mu[k]) / sd, (upper[k] - b[k] - mu[k]) / sd)[0] for k in range(m)]
    return np.sqrt(lam_f) * np.array(means)


def fmt(v):
    return " ".join("inf" if x == np.inf else "-inf" if x == -np.inf else f"{x:.9g}" for x in np.ravel(v))


def main():
    rng = np.random.default_rng(20260514)
    m, n, sigma = 10, 20, 0.05
    blocks = []
    for kappa in (1000.0, 1.0):
        u, v = orthogonal(rng, m), orthogonal(rng, n)[:m]
        d2 = kappa ** (-np.arange(m) / m)
        d = np.sqrt(d2 / d2.sum() * n)
        u, s = f32(u), f32(d)
        a = u @ np.diag(s) @ f32(v)
        x0 = rng.uniform(0, 1, n)
        w = a @ x0 + sigma * rng.standard_normal(m)
        delta = (w.max() - w.min()) / 8
        thresholds = f32(np.array([-0.7, -0.1, 0.2, 0.9]) * np.abs(w).max())
        kinds = {
            "onebit": (np.where(w >= 0, 0.0, -np.inf), np.where(w >= 0, np.inf, 0.0)),
            "uniform3": None,
            "threshold": None,
            "linear": None,
        }
        k3 = np.clip(np.floor(w / delta), -4, 3)
        lo3, hi3 = f32(k3 * delta), f32((k3 + 1) * delta)
        kinds["uniform3"] = (np.where(k3 == -4, -np.inf, lo3), np.where(k3 == 3, np.inf, hi3))
        edges = np.concatenate(([-np.inf], thresholds, [np.inf]))
        idx = np.searchsorted(thresholds, w, side="right")
        kinds["threshold"] = (edges[idx], edges[idx + 1])
        y = f32(w)
        for beta in (2.0, 0.3, 0.05, 0.01):
            xt = x0 + beta * rng.standard_normal(n) + (0.3 if beta == 0.01 else 0.0) * rng.standard_normal(n)
            b = f32(a @ xt)
            for kind, bins in kinds.items():
                for rho, iters in ((0.0, 1), (0.2, 4), (0.2, 30)):
                    if kind == "linear":
                        if (rho, iters) != (0.0, 1):
                            continue
                        g = np.linalg.solve(u @ np.diag(sigma**2 + beta**2 * s**2) @ u.T, y - b)
                        lower = upper = y
                    else:
                        lower, upper = bins
                        g = ep_score(lower, upper, b, u, s, sigma, beta, rho, iters)
                    blocks.append(
                        [
                            f"case: {kind} kappa={kappa:g} beta={beta:g} damping={rho:g} iterations={iters}",
                            f"kind: {kind}",
                            f"m: {m}",
                            f"sigma: {sigma:.9g}",
                            f"beta: {beta:.9g}",
                            f"damping: {rho:.9g}",
                            f"iterations: {iters}",
                            f"u: {fmt(u)}",
                            f"s: {fmt(s)}",
                            f"z: {fmt(b)}",
                            f"lower: {fmt(lower)}",
                            f"upper: {fmt(upper)}",
                            f"g: {' '.join(f'{x:.10g}' for x in g)}",
                        ]
                    )
    with open(OUT, "w") as f:
        f.write("# EP likelihood score golden cases (core/tests/reference/ep_golden.py)\n\n")
        f.write("\n\n".join("\n".join(bl) for bl in blocks) + "\n")
    print(f"wrote {len(blocks)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
