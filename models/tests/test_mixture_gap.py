"""models.bounds.mixture_gap: the mixture and training-digit priors' annealed scores against central
differences of their log-densities, written out independently (dense covariances, scipy's
multivariate normal), and their class responsibilities."""
import math

import numpy as np
from scipy import special, stats

from models.bounds import mixture_gap as mg


def small_mixture(rng, n=5, k=3):
    """A mixture of k Gaussians in n dimensions, rank-deficient covariances as the digits' are."""
    prior = mg.MixturePrior.__new__(mg.MixturePrior)
    prior.log_pi = list(np.log(rng.dirichlet(np.ones(k))))
    prior.mu, prior.lam, prior.w = [], [], []
    for _ in range(k):
        q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        lam = rng.uniform(0, 0.2, n)
        lam[0] = 0.0
        prior.mu.append(rng.uniform(0, 1, n))
        prior.lam.append(lam)
        prior.w.append(q)
    prior.classes = np.array([0, 1, 1])
    return prior


def test_mixture_score_is_the_gradient_of_its_log_density():
    """-sum_k r_k (S_k + beta^2 I)^-1 (x - mu_k) against central differences of
    log sum_k pi_k N(x; mu_k, S_k + beta^2 I), to 1e-6 relative, at a large and a small beta."""
    rng = np.random.default_rng(1)
    prior = small_mixture(rng)
    n = 5
    for beta in (1.0, 0.15):
        covs = [(w * lam) @ w.T + beta ** 2 * np.eye(n) for w, lam in zip(prior.w, prior.lam)]

        def logp(z):
            return special.logsumexp([lp + stats.multivariate_normal(mu, c).logpdf(z)
                                      for lp, mu, c in zip(prior.log_pi, prior.mu, covs)])

        x = rng.uniform(0, 1, (3, n))
        h = 1e-6
        for xi, got in zip(x, prior.score(x, beta)):
            fd = np.array([(logp(xi + h * e) - logp(xi - h * e)) / (2 * h) for e in np.eye(n)])
            assert np.max(np.abs(got - fd)) <= 1e-6 * np.max(np.abs(fd)), (beta, got, fd)


def test_mixture_responsibilities_sum_the_components_of_each_class():
    """Class weights: components 1 and 2 belong to class 1; they sum to one per sample and equal
    the normalized densities computed with scipy."""
    rng = np.random.default_rng(2)
    prior = small_mixture(rng)
    beta = 0.4
    x = rng.uniform(0, 1, (4, 5))
    r = prior.responsibilities(x, beta)
    assert r.shape == (4, 10)
    np.testing.assert_allclose(r.sum(axis=1), 1.0, rtol=1e-12)
    for xi, ri in zip(x, r):
        dens = np.array([math.exp(lp) * stats.multivariate_normal(mu, (w * lam) @ w.T + beta ** 2 * np.eye(5)).pdf(xi)
                         for lp, mu, lam, w in zip(prior.log_pi, prior.mu, prior.lam, prior.w)])
        dens /= dens.sum()
        np.testing.assert_allclose([ri[0], ri[1]], [dens[0], dens[1] + dens[2]], rtol=1e-9)
        assert np.all(ri[2:] == 0.0)


def test_training_prior_score_is_the_gradient_of_its_log_density():
    """sum_i r_i (x_i - x) / beta^2 against central differences of
    log (1/n) sum_i N(x; x_i, beta^2 I), to 1e-6 relative."""
    rng = np.random.default_rng(3)
    prior = mg.TrainingPrior.__new__(mg.TrainingPrior)
    prior.x = rng.uniform(0, 1, (7, 4))
    prior.sq = (prior.x ** 2).sum(axis=1)
    prior.labels = np.array([0, 1, 2, 3, 4, 5, 5])
    beta = 0.5

    def logp(z):
        return special.logsumexp([stats.multivariate_normal(xi, beta ** 2 * np.eye(4)).logpdf(z) for xi in prior.x])

    x = rng.uniform(0, 1, (3, 4))
    h = 1e-6
    for xi, got in zip(x, prior.score(x, beta)):
        fd = np.array([(logp(xi + h * e) - logp(xi - h * e)) / (2 * h) for e in np.eye(4)])
        assert np.max(np.abs(got - fd)) <= 1e-6 * np.max(np.abs(fd)), (got, fd)
    r = prior.responsibilities(x, beta)
    np.testing.assert_allclose(r.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(r[:, 5], prior.weights(x, beta)[:, 5:].sum(axis=1), rtol=1e-12)
