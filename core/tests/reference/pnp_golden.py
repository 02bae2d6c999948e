#!/usr/bin/env python3
"""Golden values for the plug-and-play sampler of qcs-core (core/src/pnp/): DiffPIR (Zhu et al.
2023, arXiv 2305.08995, Algorithm 1) in variance-exploding form with the exact quantized
likelihood in its data step, written from the algorithm, not from the Rust code.

1. power: the power-iteration estimate of ||A||_2^2 (30 iterations from v_i = 1 + (i mod 5)/4,
   the recipe core/src/pnp/data.rs documents) and the exact value (eigvalsh).
2. data_<kind>: K = 25 gradient steps z <- z + eta [d/dz log p(y|z) - w (z - x_hat)] from
   z = x_hat on the exact log-likelihood (one-bit: log Phi(y a.z / sigma); 2-bit:
   log[Phi((u - a.z)/sigma) - Phi((l - a.z)/sigma)]; linear: -(y - a.z)^2/(2 sigma^2)), and the
   exact minimizer of -log p(y|z) + (w/2)||z - x_hat||^2 (L-BFGS to 1e-13).
3. pnp_<kind>: T = 6 levels of the sampler with a Gaussian prior N(mu, tau^2 I) (exact score
   (mu - x)/(tau^2 + s^2)), zeta = 0 (no noise draws): x0 = x + s^2 score, the data step above
   with eta_t = gamma/(L + lambda/s_t^2), L = power estimate / sigma^2, w = lambda/s_t^2, then
   x <- x0' + (s_{t+1}/s_t)(x - x0'), s_{T+1} = 0. The iterate after every level is written.
   pnp_<kind>_smoothed: the same with the likelihood smoothed, kappa = 0.5: sigma_m^2 =
   sigma^2 + (kappa s_t)^2 ||a_m||^2 in place of sigma^2 and L_t = power estimate /
   (sigma^2 + (kappa s_t)^2 min_m ||a_m||^2).

float64 throughout (scipy's log_ndtr / ndtr for Phi); inputs are rounded to float32 first, as the
Rust side sees them. Writes core/tests/data/pnp_golden.txt ("name v1 v2 ..." per line). Run from
the repository root: python3 core/tests/reference/pnp_golden.py
"""
import os

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_ndtr, ndtr

OUT = os.path.join(os.path.dirname(__file__), "..", "data")
LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def write(name, items):
    with open(os.path.join(OUT, name), "w") as f:
        for k, v in items:
            v = np.atleast_1d(np.asarray(v, dtype=np.float64)).ravel()
            f.write(k + " " + " ".join(repr(float(x)) for x in v) + "\n")


def power_estimate(a, iterations=30):
    v = 1.0 + (np.arange(a.shape[1]) % 5) * 0.25
    est = 0.0
    for _ in range(iterations):
        v = v / np.linalg.norm(v)
        w = a @ v
        est = w @ w
        v = a.T @ w
    return est


def log_phi_pdf(t):
    return -0.5 * t * t - LOG_SQRT_2PI


def onebit_grad(z, y, sigma):
    """d/dz log Phi(y z / sigma)."""
    u = y * z / sigma
    return y / sigma * np.exp(log_phi_pdf(u) - log_ndtr(u))


def bin_grad(z, lo, hi, sigma):
    """d/dz log[Phi(b) - Phi(a)], a = (lo - z)/sigma, b = (hi - z)/sigma."""
    a, b = (lo - z) / sigma, (hi - z) / sigma
    pdf = lambda t: np.where(np.isfinite(t), np.exp(log_phi_pdf(np.where(np.isfinite(t), t, 0.0))), 0.0)  # noqa: E731
    # the bin probability from the side where it does not cancel
    p = np.where(a > 0, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))
    return (pdf(a) - pdf(b)) / (sigma * p)


def onebit_nll(z, y, sigma):
    return -log_ndtr(y * z / sigma).sum()


def bin_nll(z, lo, hi, sigma):
    a, b = (lo - z) / sigma, (hi - z) / sigma
    p = np.where(a > 0, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))
    return -np.log(p).sum()


def linear_grad(z, y, sigma):
    return (y - z) / sigma ** 2


def linear_nll(z, y, sigma):
    return ((y - z) ** 2).sum() / (2 * sigma ** 2)


def data_step(a, grad_z, x_hat, steps, eta, w):
    z = x_hat.copy()
    for _ in range(steps):
        z = z + eta * (a.T @ grad_z(a @ z) - w * (z - x_hat))
    return z


def minimizer(a, nll_z, grad_z, x_hat, w):
    def f(z):
        d = z - x_hat
        return nll_z(a @ z) + 0.5 * w * d @ d, -(a.T @ grad_z(a @ z)) + w * d

    r = minimize(f, x_hat, jac=True, method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-13, "maxiter": 10000})
    return r.x


def main():
    rng = np.random.default_rng(1)
    n, m = 8, 5
    a = f32(rng.normal(size=(m, n)) / np.sqrt(m))
    sigma = float(np.float32(0.1))
    mu = f32(0.3 * rng.normal(size=n))
    tau2 = float(np.float32(0.05))
    x_true = mu + np.sqrt(tau2) * rng.normal(size=n)
    noise = sigma * rng.normal(size=m)
    clean = a @ x_true + noise
    y_onebit = np.where(clean >= 0, 1.0, -1.0)
    delta = 0.3
    edges = np.array([-np.inf, -delta, 0.0, delta, np.inf])
    code = np.searchsorted(edges, clean, side="right") - 1
    lower, upper = edges[code], edges[code + 1]
    y_linear = f32(clean)

    kinds = {
        "onebit": (lambda z: onebit_grad(z, y_onebit, sigma), lambda z: onebit_nll(z, y_onebit, sigma)),
        "quantized": (lambda z: bin_grad(z, lower, upper, sigma), lambda z: bin_nll(z, lower, upper, sigma)),
        "linear": (lambda z: linear_grad(z, y_linear, sigma), lambda z: linear_nll(z, y_linear, sigma)),
    }

    est = power_estimate(a)
    lip = est / sigma ** 2
    items = [
        ("dims", [n, m]), ("a", a), ("sigma", sigma), ("mu", mu), ("tau2", tau2),
        ("y_onebit", y_onebit), ("lower", lower), ("upper", upper), ("y_linear", y_linear),
        ("power_estimate", est), ("power_exact", np.linalg.eigvalsh(a.T @ a).max()),
    ]

    # 2. the data sub-problem alone
    x_hat = f32(x_true + 0.3 * rng.normal(size=n))
    steps, w = 25, float(np.float32(8.0))
    eta = float(np.float32(1.0 / (lip + w)))
    items += [("data_x_hat", x_hat), ("data_settings", [steps, eta, w])]
    for kind, (grad_z, nll_z) in kinds.items():
        items.append((f"data_{kind}", data_step(a, grad_z, x_hat, steps, eta, w)))
        items.append((f"argmin_{kind}", minimizer(a, nll_z, grad_z, x_hat, w)))

    # 3. full levels with the Gaussian prior, zeta = 0
    s_max, s_min, levels, lam, zeta, k_steps, gamma = 2.0, 0.05, 6, 1.5, 0.0, 10, 1.0
    sig = np.exp(np.linspace(np.log(s_max), np.log(s_min), levels))
    x_start = f32(0.5 + s_max * rng.normal(size=n))
    items += [("pnp_schedule", [s_max, s_min, levels, lam, zeta, k_steps, gamma]), ("pnp_start", x_start)]
    row_norms = (a ** 2).sum(1)
    grads = {
        "onebit": lambda z, sm: onebit_grad(z, y_onebit, sm),
        "quantized": lambda z, sm: bin_grad(z, lower, upper, sm),
        "linear": lambda z, sm: linear_grad(z, y_linear, sm),
    }
    for kappa, suffix in [(0.0, ""), (0.5, "_smoothed")]:
        for kind, grad in grads.items():
            x = x_start.copy()
            trajectory = []
            for t, s in enumerate(sig):
                s_next = sig[t + 1] if t + 1 < levels else 0.0
                x0 = x + s ** 2 * (mu - x) / (tau2 + s ** 2)
                w_t = lam / s ** 2
                b = kappa * s
                sm = np.sqrt(sigma ** 2 + b ** 2 * row_norms)
                lip_t = est / (sigma ** 2 + b ** 2 * row_norms.min())
                x0p = data_step(a, lambda z: grad(z, sm), x0, k_steps, gamma / (lip_t + w_t), w_t)  # noqa: B023
                x = x0p + (s_next / s) * np.sqrt(1 - zeta) * (x - x0p)
                trajectory.append(x)
            items.append((f"pnp_{kind}{suffix}", np.array(trajectory)))
    write("pnp_golden.txt", items)


if __name__ == "__main__":
    main()
