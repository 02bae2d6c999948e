"""Does a multimodal prior with an exact score lose more to kappa = 1000 than a Gaussian one?

    python3 -m models.bounds.mixture_gap [--images 20] [--first 0] [--chain-seed 7] [--priors gaussian,mixture-10,...]

`sampler_gap.py` runs QCS-SGM+ with a single Gaussian prior whose annealed score is exact: the
sampler loses 0.55-0.58 dB between a Gaussian A and the kappa = 1000 operator (one bit, M = 200,
sigma = 0.05), where the score model loses about 3 dB (docs/RESULTS.md section 9). A single
Gaussian has one mode; MNIST has at least ten, and under the weak directions of the kappa = 1000
operator the exact posterior of a digit may hold other digits too, so that an exact one-sample
posterior sampler picks a wrong digit now and then. Such a loss would belong to the posterior,
not to the network or the sampler. This script tests that with a prior that is multimodal and
whose annealed score is still exact:

* prior: a mixture of ten Gaussians, one per digit class, p(x) = sum_k pi_k N(x; mu_k, S_k) with
  pi_k, mu_k, S_k the class frequencies, means and covariances of the 9,000 training digits (the
  single Gaussian of sampler_gap.py is the same digits without their labels);
* its beta-perturbed score, exact: p_beta = sum_k pi_k N(mu_k, S_k + beta^2 I), so
  s(x, beta) = -sum_k r_k(x) (S_k + beta^2 I)^-1 (x - mu_k) with the responsibilities
  r_k proportional to pi_k N(x; mu_k, S_k + beta^2 I) (log-sum-exp over k, each through the
  eigendecomposition of S_k);
* sampler, operators, noise, digits, chains, schedule and eps: as sampler_gap.py (QCS-SGM+ with
  the EP likelihood score, 232 x 5, eps = 1e-4, chain seed 7, numpy draws), run for the single
  Gaussian and the mixture in the same invocation.

Reported per cell: mean PSNR of one sample per digit (clipped to [0, 1]) and, for the mixture,
how many samples end in another class's component (argmax of r_k at the last level) than the
digit's label.
"""
import argparse
import json
import math
import os

import numpy as np
from scipy import special
from scipy.cluster import vq

from models.bounds.gaussian_prior import draw_problem, psnr
from models.bounds.prior_gap import summarize
from models.bounds.sampler_gap import GaussianPrior, run_sampler, signs
from models.data import mnist

HERE = os.path.dirname(os.path.abspath(__file__))


def softmax(logs):
    """exp(logs) normalized over the last axis, by log-sum-exp."""
    return np.exp(logs - special.logsumexp(logs, axis=1, keepdims=True))


def class_sums(r, classes):
    """[B, 10]: the weights r [B, K] summed over the k whose classes[k] is each digit class."""
    return np.stack([r[:, classes == c].sum(axis=1) for c in range(10)], axis=1)


class MixturePrior:
    """One Gaussian per digit class of the training digits; the exact score of its beta-perturbed
    version, and the responsibilities that weight it."""

    def __init__(self, per_class=1):
        """`per_class` components per digit class: the class itself (1), or that many k-means
        clusters of its training digits (scipy's kmeans2, seed 0), each with its own mean and
        covariance."""
        train = mnist.images('train').reshape(-1, 784).astype(np.float64) / 255.0
        labels = mnist.labels('train')
        self.log_pi, self.mu, self.lam, self.w, self.classes = [], [], [], [], []
        for k in range(10):
            xs = train[labels == k]
            if per_class == 1:
                groups = [xs]
            else:
                _, member = vq.kmeans2(xs, per_class, seed=0, minit='++')
                groups = [xs[member == j] for j in range(per_class) if (member == j).sum() > 1]
            for g in groups:
                self.log_pi.append(math.log(len(g) / len(train)))
                self.mu.append(g.mean(axis=0))
                lam, w = np.linalg.eigh(np.cov(g, rowvar=False))
                self.lam.append(np.maximum(lam, 0.0))
                self.w.append(w)
                self.classes.append(k)
        self.classes = np.array(self.classes)

    def log_densities(self, x, beta):
        """log pi_k N(x; mu_k, S_k + beta^2 I) [B, K] and the whitened residuals z_k / (lam + beta^2)."""
        logs, proj = [], []
        for log_pi, mu, lam, w in zip(self.log_pi, self.mu, self.lam, self.w):
            var = lam + beta * beta
            z = (x - mu) @ w
            logs.append(log_pi - 0.5 * (np.log(var).sum() + (z * z / var).sum(axis=1)
                                        + x.shape[1] * math.log(2 * math.pi)))
            proj.append(z / var)
        return np.stack(logs, axis=1), proj

    def weights(self, x, beta):
        """The responsibilities r_k [B, K] and the whitened residuals of log_densities."""
        logs, proj = self.log_densities(x, beta)
        return softmax(logs), proj

    def responsibilities(self, x, beta):
        """Weight of each digit class: the sum of r_k over the components of that class."""
        return class_sums(self.weights(x, beta)[0], self.classes)

    def score(self, x, beta):
        r, proj = self.weights(x, beta)
        out = np.zeros_like(x)
        for k, (pk, w) in enumerate(zip(proj, self.w)):
            out -= r[:, k:k + 1] * (pk @ w.T)
        return out


class TrainingPrior:
    """The training digits themselves, p(x) = (1/n) sum_i delta(x - x_i): the distribution whose
    exact annealed score an ideally trained score model on these digits converges to; its
    beta-perturbed score s(x, beta) = sum_i r_i(x) (x_i - x) / beta^2 with r_i the softmax of
    -||x - x_i||^2 / (2 beta^2)."""

    def __init__(self):
        self.x = mnist.images('train').reshape(-1, 784).astype(np.float64) / 255.0
        self.sq = (self.x * self.x).sum(axis=1)
        self.labels = mnist.labels('train')

    def weights(self, x, beta):
        """r_i [B, n]: the softmax over the training digits of -||x - x_i||^2 / (2 beta^2)."""
        d2 = (x * x).sum(axis=1, keepdims=True) - 2.0 * x @ self.x.T + self.sq[None, :]
        return softmax(-0.5 * d2 / (beta * beta))

    def responsibilities(self, x, beta):
        """Weight of each digit class: the sum of r_i over the training digits of that class."""
        return class_sums(self.weights(x, beta), self.labels)

    def score(self, x, beta):
        return (self.weights(x, beta) @ self.x - x) / (beta * beta)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--images', type=int, default=20)
    p.add_argument('--first', type=int, default=0, help='first test digit (900 for held-out digits)')
    p.add_argument('--kappas', default='gaussian,1000')
    p.add_argument('--priors', default='gaussian,mixture-10,mixture-50',
                   help='comma-separated: gaussian, mixture-10, mixture-50, training-9000')
    p.add_argument('--c-frac', type=float, default=0.5,
                   help="likelihood rescaling to this fraction of the prior score's norm (0: none)")
    p.add_argument('--eps', type=float, default=1e-4)
    p.add_argument('--chain-seed', type=int, default=7)
    p.add_argument('--draw-seed', type=int, default=0,
                   help="numpy seed of both operators (the noise: seed + 1), as gaussian_prior.draw_problem's")
    p.add_argument('--out', help='output JSON (default: models/bounds/prior_gap/first{FIRST}_seed{SEED}.json)')
    args = p.parse_args(argv)
    if args.out is None:
        draw = f'_draw{args.draw_seed}' if args.draw_seed else ''
        args.out = os.path.join(HERE, 'prior_gap', f'first{args.first}_seed{args.chain_seed}{draw}.json')
    m, sigma = 200, 0.05
    kinds = {'gaussian': GaussianPrior, 'mixture-10': MixturePrior,
             'mixture-50': lambda: MixturePrior(per_class=5), 'training-9000': TrainingPrior}
    names = args.priors.split(',')
    unknown = [n for n in names if n not in kinds]
    if unknown:
        raise SystemExit(f"--priors: unknown prior(s) {unknown} (known: {', '.join(kinds)})")
    priors = {n: kinds[n]() for n in names}
    sl = slice(args.first, args.first + args.images)
    test = mnist.images('test').reshape(-1, 784).astype(np.float64)[sl] / 255.0
    labels = mnist.labels('test')[sl]
    c_frac = args.c_frac if args.c_frac > 0 else None
    cells = []
    for op in args.kappas.split(','):
        a, noise = draw_problem(None if op == 'gaussian' else float(op), m, args.images, sigma, seed=args.draw_seed)
        y = signs(a, test, noise)
        for name, prior in priors.items():
            x = run_sampler(prior, a, y, sigma, np.random.default_rng(args.chain_seed), c_frac, args.eps)
            ps = [psnr(np.clip(xi, 0, 1), t) for xi, t in zip(x, test)]
            cell = {'operator': op, 'prior': name, 'psnr_mean': float(np.mean(ps)),
                    'psnr_std': float(np.std(ps)), 'psnr': ps}
            line = f"{op:9s} {name:11s} {cell['psnr_mean']:.2f} +- {cell['psnr_std']:.2f} dB"
            if hasattr(prior, 'responsibilities'):
                comp = prior.responsibilities(x, 0.01).argmax(axis=1)
                cell['component'] = comp.tolist()
                cell['other_class'] = int((comp != labels).sum())
                line += f", {cell['other_class']}/{len(comp)} samples in another class's component"
            print(line, flush=True)
            cells.append(cell)
    run = {'eps': args.eps, 'c_frac': args.c_frac, 'chain_seed': args.chain_seed, 'draw_seed': args.draw_seed,
           'first': args.first, 'images': args.images, 'M': m, 'sigma': sigma, 'labels': labels.tolist(),
           'cells': cells}
    for (name, _, _), s in summarize([run]).items():
        print(f"cost of kappa = 1000, {name}: {s['cost_db'][0]:.2f} +- {s['cost_db'][1]:.2f} dB")
    with open(args.out, 'w') as f:
        json.dump(run, f, indent=1)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
