"""models.bounds.gaussian_prior: the truncated-normal moments against mpmath (closed form at 60
digits), EP's box-truncated mean against numerical integration, the unquantized posterior mean
against the information-form formula."""
import math

import mpmath as mp
import numpy as np
import pytest
from scipy import integrate, stats

from models.bounds import gaussian_prior as g

INF = math.inf


def reference_moments(a, b):
    """Mean and variance of N(0, 1) truncated to [a, b] in 60-digit arithmetic."""
    mp.mp.dps = 60
    pa = mp.npdf(a) if math.isfinite(a) else 0
    pb = mp.npdf(b) if math.isfinite(b) else 0
    upper = lambda x: mp.ncdf(-x) if math.isfinite(x) else (1 if x < 0 else 0)  # P(X > x)
    lower = lambda x: mp.ncdf(x) if math.isfinite(x) else (0 if x < 0 else 1)  # P(X < x)
    z = lower(b) - lower(a) if b <= 0 else upper(a) - upper(b)  # the difference of the small tails
    mean = (pa - pb) / z
    ta = a * pa if math.isfinite(a) else 0
    tb = b * pb if math.isfinite(b) else 0
    return float(mean), float(1 + (ta - tb) / z - mean * mean)


@pytest.mark.parametrize('a,b', [(-INF, 0.0), (0.0, INF), (-1.0, 2.0), (5.0, INF), (30.0, INF),
                                 (-INF, -35.0), (-0.1, 0.1), (8.0, 9.0), (-2.0, -1.5), (12.0, 12.5),
                                 (-40.0, -39.9), (3.0, 3.001)])
def test_truncated_normal_moments_match_mpmath(a, b):
    """Mean to 1e-12 (relative to max(|mean|, 1)); variance to 1e-5 relative: in the far tails and
    for narrow bins it is a difference of nearly equal terms (worst measured 2.5e-6 at [3, 3.001])."""
    m, v = g.truncated_normal_moments(a, b)
    rm, rv = reference_moments(a, b)
    assert abs(m - rm) <= 1e-12 * max(abs(rm), 1.0)
    assert abs(v - rv) <= 1e-5 * rv


def test_ep_is_exact_for_one_coordinate_and_for_independent_coordinates():
    m0 = np.array([0.3, -1.0, 2.0])
    c0 = np.diag([0.5, 2.0, 0.1])
    lo = np.array([0.0, -INF, 1.0])
    hi = np.array([INF, 0.0, 1.5])
    mean, _ = g.box_posterior_mean(m0, c0, lo, hi)
    for i in range(3):
        sd = math.sqrt(c0[i, i])
        want = m0[i] + sd * reference_moments((lo[i] - m0[i]) / sd, (hi[i] - m0[i]) / sd)[0]
        assert mean[i] == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_ep_box_mean_of_a_correlated_pair_against_numerical_integration():
    """EP is approximate once the coordinates are correlated: within 0.02 standard deviations of
    the mean by 2-D quadrature here (correlation 0.6; the orthant and a finite bin)."""
    m0 = np.array([0.2, -0.1])
    c0 = np.array([[1.0, 0.6], [0.6, 1.0]])
    dist = stats.multivariate_normal(m0, c0)
    for lo, hi in [((0.0, 0.0), (8.0, 8.0)), ((0.0, -8.0), (8.0, 0.0)), ((-0.5, 0.0), (0.5, 8.0))]:
        z = integrate.dblquad(lambda y, x: dist.pdf([x, y]), lo[0], hi[0], lo[1], hi[1], epsabs=1e-12)[0]
        want = [integrate.dblquad(lambda y, x, k=k: [x, y][k] * dist.pdf([x, y]), lo[0], hi[0], lo[1], hi[1],
                                  epsabs=1e-12)[0] / z for k in range(2)]
        mean, _ = g.box_posterior_mean(m0, c0, np.array(lo), np.array(hi))
        assert np.max(np.abs(mean - want)) < 0.02


def test_unquantized_posterior_mean_is_the_information_form():
    rng = np.random.default_rng(3)
    n, m, sigma = 12, 5, 0.1
    a = rng.standard_normal((m, n))
    f = rng.standard_normal((n, n))
    cov = f @ f.T / n + 0.1 * np.eye(n)
    mu = rng.standard_normal(n)
    y = a @ rng.standard_normal(n)
    got, _ = g.posterior_mean(a, mu, cov, sigma, y, bits=0)
    prec = np.linalg.inv(cov) + a.T @ a / sigma ** 2
    want = np.linalg.solve(prec, np.linalg.solve(cov, mu) + a.T @ y / sigma ** 2)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


def test_ill_conditioned_operator_has_the_stated_spectrum():
    a = g.ill_conditioned_operator(np.random.default_rng(0), 20, 50, 1000.0)
    eig = np.sort(np.linalg.eigvalsh(a @ a.T))[::-1]
    assert eig.sum() == pytest.approx(50.0, rel=1e-12)
    assert eig[0] / eig[-1] == pytest.approx(1000.0 ** (19 / 20), rel=1e-9)
