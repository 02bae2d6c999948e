"""models.bounds.sampler_gap: its one-bit EP score against the independent mpmath EP of the core's
golden generator (core/tests/reference/ep_golden.py), and its Gaussian prior score against the
gradient of the log-density by central differences."""
import math

import numpy as np
import pytest

from models.bounds import sampler_gap as sg


@pytest.mark.parametrize('kappa,beta', [(1000.0, 0.3), (1000.0, 0.05), (1.0, 2.0), (1.0, 0.05)])
def test_onebit_ep_score_matches_the_mpmath_reference(kappa, beta):
    """Same EP (damping 0.1, 10 iterations) on M = 10 ill-conditioned problems: relative 1e-9 of the
    largest component (the reference's moments are mpmath at 40 digits, these scipy's log-space)."""
    ref = sg.core_reference('ep_golden')
    rng = np.random.default_rng(3)
    m, sigma = 10, 0.05
    u = ref.orthogonal(rng, m)
    d2 = kappa ** (-np.arange(m) / m)
    s = np.sqrt(d2 / d2.sum() * 20)
    b = rng.standard_normal(m) * 0.5
    y = np.where(rng.standard_normal(m) >= 0, 1.0, -1.0)
    lower, upper = np.where(y > 0, 0.0, -np.inf), np.where(y > 0, np.inf, 0.0)
    want = ref.ep_score(lower, upper, b, u, s, sigma, beta, 0.1, 10)
    got = sg.ep_onebit(y[None, :], b[None, :], u, sigma ** 2 + beta ** 2 * s ** 2, damping=0.1, iters=10)[0]
    assert np.max(np.abs(got - want)) <= 1e-9 * np.max(np.abs(want))


def test_onebit_moments_stay_finite_in_both_tails():
    """The truncated normal N(0, 1) on [t, inf): mean t + 1/t - 2/t^3 + ... for large t (Mills ratio),
    and finite everywhere for |t| up to 40."""
    t = np.array([-40.0, -5.0, 0.0, 5.0, 40.0])
    mean, var = sg.onebit_moments(t, np.ones_like(t, dtype=bool))
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(var)) and np.all(var > 0)
    assert abs(mean[-1] - (40 + 1 / 40 - 2 / 40 ** 3)) < 1e-6
    assert abs(mean[2] - math.sqrt(2 / math.pi)) < 1e-12


def test_gaussian_prior_score_is_the_gradient_of_its_log_density():
    """-(S + beta^2 I)^-1 (x - mu) against central differences of log N(x; mu, S + beta^2 I) on a
    small prior with the same class (eigen-decomposed covariance), to 1e-6 relative."""
    rng = np.random.default_rng(0)
    prior = sg.GaussianPrior.__new__(sg.GaussianPrior)
    n = 6
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    prior.lam, prior.w, prior.mu = rng.uniform(0, 0.2, n), q, rng.uniform(0, 1, n)
    beta = 0.3
    cov = (q * prior.lam) @ q.T + beta ** 2 * np.eye(n)
    prec = np.linalg.inv(cov)
    x = rng.uniform(0, 1, n)
    logp = lambda z: -0.5 * (z - prior.mu) @ prec @ (z - prior.mu)
    h = 1e-5
    fd = np.array([(logp(x + h * e) - logp(x - h * e)) / (2 * h) for e in np.eye(n)])
    got = prior.score(x[None, :], beta)[0]
    assert np.max(np.abs(got - fd)) <= 1e-6 * np.max(np.abs(fd))
