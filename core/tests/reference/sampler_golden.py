#!/usr/bin/env python3
"""Reference distributions for the statistical tests of the annealed Langevin sampler.

1. Gaussian prior N(mu, tau^2 I) + linear measurements y = Ax + n with the exact score (eq. 19).
   Every step of Algorithm 1 is then an affine map plus Gaussian noise, so the distribution of
   the sampler's output is Gaussian with a mean and covariance that propagate exactly:
       m <- (I - a P_t) m + a b_t,   S <- (I - a P_t) S (I - a P_t)^T + 2a I,
   with P_t = I/(tau^2+beta_t^2) + A^T C_t^-1 A, b_t = mu/(tau^2+beta_t^2) + A^T C_t^-1 y,
   C_t = sigma^2 I + beta_t^2 AA^T, from x ~ U(0,1) (mean 1/2, covariance I/12).
   We write that exact output distribution and the closed-form posterior p(x|y).
2. One-bit, 2-D: prior N(0, I), y = sign(Ax + n), A 3x2. The posterior mean at the final noise
   level (prior N(0, (1+beta_T^2) I), pseudo-likelihood prod Phi(y_m a_m.x / s_m), eq. 18) by
   numerical integration on a fine grid (and the plain posterior, beta = 0, for comparison).

float64 throughout; inputs are rounded to float32 first, as the Rust side sees them.
Writes core/tests/data/sampler_linear_gaussian.txt and sampler_one_bit_2d.txt
("name v1 v2 ..." per line). Run from the repository root.
"""
import os

import numpy as np
from scipy.special import log_ndtr

OUT = os.path.join(os.path.dirname(__file__), "..", "data")


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def betas(b1, bt, levels):
    return np.exp(np.linspace(np.log(b1), np.log(bt), levels))


def write(name, items):
    with open(os.path.join(OUT, name), "w") as f:
        for k, v in items:
            v = np.atleast_1d(np.asarray(v, dtype=np.float64)).ravel()
            f.write(k + " " + " ".join(repr(float(x)) for x in v) + "\n")


def linear_gaussian():
    rng = np.random.default_rng(11)
    n, m = 6, 4
    a = f32(rng.normal(size=(m, n)) / np.sqrt(m))
    mu = f32(rng.normal(size=n) * 0.3 + 0.5)
    tau2, sigma = float(np.float32(0.5)), float(np.float32(0.2))
    x0 = rng.normal(size=n) * np.sqrt(tau2) + mu
    y = f32(a @ x0 + sigma * rng.normal(size=m))
    lam, u = np.linalg.eigh(a @ a.T)
    u, lam = f32(u), f32(np.maximum(lam, 0))
    b1, bt, levels, k_steps, eps = 2.0, 0.01, 60, 20, 1e-4
    mean = np.full(n, 0.5)
    cov = np.eye(n) / 12
    aat = u @ np.diag(lam) @ u.T  # the AA^T the sampler uses
    for beta in betas(b1, bt, levels):
        alpha = eps * (beta / bt) ** 2
        cinv = np.linalg.inv(sigma ** 2 * np.eye(m) + beta ** 2 * aat)
        p = np.eye(n) / (tau2 + beta ** 2) + a.T @ cinv @ a
        b = mu / (tau2 + beta ** 2) + a.T @ cinv @ y
        t = np.eye(n) - alpha * p
        for _ in range(k_steps):
            mean = t @ mean + alpha * b
            cov = t @ cov @ t.T + 2 * alpha * np.eye(n)
    post_p = np.eye(n) / tau2 + a.T @ a / sigma ** 2
    post_cov = np.linalg.inv(post_p)
    post_mean = post_cov @ (mu / tau2 + a.T @ y / sigma ** 2)
    write("sampler_linear_gaussian.txt", [
        ("dims", [n, m]), ("a", a), ("mu", mu), ("tau2", tau2), ("sigma", sigma), ("y", y),
        ("eigenvectors", u), ("eigenvalues", lam),
        ("schedule", [b1, bt, levels, k_steps, eps]),
        ("output_mean", mean), ("output_var", np.diag(cov)),
        ("posterior_mean", post_mean), ("posterior_var", np.diag(post_cov)),
    ])


def one_bit_2d():
    rng = np.random.default_rng(5)
    a = f32([[1.0, 0.4], [-0.3, 1.0], [0.8, -0.9]])
    sigma = float(np.float32(0.3))
    x0 = np.array([0.7, -0.4])
    y = np.sign(a @ x0 + sigma * rng.normal(size=3))
    y[y == 0] = 1
    b1, bt, levels, k_steps, eps = 0.2, 0.01, 20, 200, 2e-4
    g = np.linspace(-7, 7, 1401)
    X1, X2 = np.meshgrid(g, g, indexing="ij")
    pts = np.stack([X1.ravel(), X2.ravel()], 1)

    def moments(beta):
        s = np.sqrt(sigma ** 2 + beta ** 2 * (a ** 2).sum(1))
        logp = -0.5 * (pts ** 2).sum(1) / (1 + beta ** 2)
        logp = logp + log_ndtr((pts @ a.T) * y / s).sum(1)
        w = np.exp(logp - logp.max())
        w /= w.sum()
        mean = w @ pts
        var = w @ (pts - mean) ** 2
        return mean, var

    mean_t, var_t = moments(bt)
    mean_0, _ = moments(0.0)
    write("sampler_one_bit_2d.txt", [
        ("a", a), ("sigma", sigma), ("y", y), ("schedule", [b1, bt, levels, k_steps, eps]),
        ("final_level_mean", mean_t), ("final_level_var", var_t), ("posterior_mean", mean_0),
    ])


if __name__ == "__main__":
    linear_gaussian()
    one_bit_2d()
