"""Does the ill-conditioned likelihood push QCS-SGM+'s iterates off the noise level the network
was trained at? A diagnosis on held-out digits (900-909 by default; never reported as quality).

    python3 -m models.bounds.noise_level [--first 900] [--images 10] [--out models/bounds/noise_level]

The score network s(x, beta) was trained (denoising score matching) only on points x0 + beta n,
n ~ N(0, I), with x0 a digit: there sigma-free body(x) = beta s(x, beta) ~ -n, so
rho_t = ||beta_t s(x_t, beta_t)|| / sqrt(N) is about 1 wherever the network is on its training
distribution. This script runs QCS-SGM+ (Algorithm 1 with the EP likelihood score and the
rescaling to 0.5 of the prior score's norm: the defaults of `qcs-sgm-ep`, eps = 2e-4) with the
shipped ONNX network through onnxruntime, on Gaussian A and on the kappa = 1000 operator
(models.bounds.gaussian_prior's draws), and records at the last step of every level

* rho_t, the network's own estimate of the iterate's noise level relative to beta_t, and
* tau_t = ||x_t - x_true|| / (beta_t sqrt(N)), the iterate's actual distance to the digit
  relative to beta_t (about 1 while x_t looks like x_true + beta_t n);

and the same with the exact Gaussian prior of sampler_gap.py (eps = 1e-4) for comparison.
Writes OUT.json and OUT.png / OUT.svg (rho_t and tau_t against beta_t, mean over digits).
"""
import argparse
import json
import math
import os

import numpy as np
import torch

from models.bounds.gaussian_prior import draw_problem, psnr, save_figure
from models.bounds.sampler_gap import GaussianPrior, core_reference, run_sampler, signs
from models.data import mnist
from models.reference.sampler import OnnxPrior, Xoshiro128pp

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def host_ill_conditioned_operator(seed, m, n, kappa):
    """The host's draw of the kappa operator (host/src/eval/measure.rs `ill_conditioned`, ported):
    U and V orthonormalise float32 N(0, 1) draws of core rng::stream_rng(seed, 1) and (seed, 2)
    (models.reference.sampler.Xoshiro128pp, the core's recipe) by modified Gram-Schmidt in float64;
    d_i^2 ~ kappa^(-i/M) with sum N; A rounded to float32. Ported, not checked bit for bit against
    the host. qcs-eval's default operator seed is 12345."""
    def rows(stream, r, c):
        q = Xoshiro128pp(seed, stream).normals(r * c).astype(np.float64).reshape(r, c)
        for i in range(r):
            for j in range(i):
                q[i] -= (q[j] @ q[i]) * q[j]
            q[i] /= np.linalg.norm(q[i])
        return q
    u, v = rows(1, m, m), rows(2, m, n)
    raw = float(np.float32(kappa)) ** (-np.arange(m) / m)
    d2 = raw * (n / raw.sum())
    return ((u * np.sqrt(d2)[None, :]) @ v).astype(np.float32).astype(np.float64)


def host_seeded_gaussian_operator(seed, m, n):
    """The host's seeded Gaussian operator (qcs_core::operator::SeededGaussian, N(0, 1/M) entries)
    by the independent recipe of core/tests/reference/operators_seeded.py, which the core's tests
    check against the Rust operator."""
    return core_reference('operators_seeded').matrix(seed, m, n, 'PerMeasurement').astype(np.float64)


class NetworkPrior:
    """The shipped ONNX network as a numpy float64 score s(x, beta) = body(x) / beta."""

    def __init__(self, path, threads=1):
        self.onnx = OnnxPrior(path, threads)

    def score(self, x, beta):
        return self.onnx.body(torch.from_numpy(x.astype(np.float32))).numpy().astype(np.float64) / beta


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--first', type=int, default=900)
    p.add_argument('--images', type=int, default=10)
    p.add_argument('--model', default=os.path.join(REPO, 'models/ncsnv2-mnist.onnx'))
    p.add_argument('--out', default=os.path.join(HERE, 'noise_level'))
    p.add_argument('--chain-seed', type=int, default=7, help='numpy seed of x0 and the Langevin noise')
    p.add_argument('--host-draw', action='store_true',
                   help="the host's draws of both operators (qcs-eval's operator seed 12345) instead of numpy's")
    args = p.parse_args(argv)
    m, sigma, n = 200, 0.05, 784
    test = mnist.images('test').reshape(-1, n).astype(np.float64)[args.first:args.first + args.images] / 255.0
    priors = {'network': (NetworkPrior(args.model), 2e-4), 'gaussian': (GaussianPrior(), 1e-4)}
    runs = []
    for prior_name, (prior, eps) in priors.items():
        for op in ('gaussian', '1000'):
            a, noise = draw_problem(None if op == 'gaussian' else 1000.0, m, args.images, sigma)
            if args.host_draw:
                a = (host_seeded_gaussian_operator(12345, m, n) if op == 'gaussian'
                     else host_ill_conditioned_operator(12345, m, n, 1000.0))
            y = signs(a, test, noise)
            betas, rho, tau = [], [], []

            def record(t, beta, x, sp):
                betas.append(float(beta))
                rho.append(float(np.mean(np.linalg.norm(beta * sp, axis=1)) / math.sqrt(n)))
                tau.append(float(np.mean(np.linalg.norm(x - test, axis=1)) / (beta * math.sqrt(n))))

            x = run_sampler(prior, a, y, sigma, np.random.default_rng(args.chain_seed), 0.5, eps, record=record)
            ps = [psnr(np.clip(xi, 0, 1), t) for xi, t in zip(x, test)]
            run = {'prior': prior_name, 'operator': op, 'eps': eps, 'psnr_mean': float(np.mean(ps)),
                   'psnr': ps, 'beta': betas, 'rho': rho, 'tau': tau}
            low = [r for b, r in zip(betas, rho) if b < 0.1]
            print(f'{prior_name:8s} {op:8s} PSNR {run["psnr_mean"]:.2f} dB; rho at beta < 0.1: mean {np.mean(low):.3f},'
                  f' max {np.max(rho):.3f}; tau at the last level {tau[-1]:.2f}', flush=True)
            runs.append(run)
    with open(args.out + '.json', 'w') as f:
        json.dump({'chain_seed': args.chain_seed, 'host_draw': args.host_draw,
                   'first': args.first, 'images': args.images, 'M': m, 'sigma': sigma, 'model': args.model,
                   'sampler': 'QCS-SGM+ (EP, damping 0.1, 10 iterations), rescaled to 0.5, 232 x 5',
                   'runs': runs}, f)
    plot(runs, args.out)


def plot(runs, stem):
    """rho_t and tau_t against beta_t, one line per prior and operator: stem.png / stem.svg."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for r in runs:
        ls = '-' if r['operator'] == 'gaussian' else '--'
        label = f"{r['prior']} prior, {'Gaussian A' if r['operator'] == 'gaussian' else 'κ = 1000'}"
        axes[0].plot(r['beta'], r['rho'], ls, label=label)
        axes[1].plot(r['beta'], r['tau'], ls, label=label)
    for ax, name in zip(axes, ('ρ = ‖β s(x_t, β)‖ / √N (network: ≈ 1 on its training data)',
                               'τ = ‖x_t − x_true‖ / (β √N)')):
        ax.set_xscale('log')
        ax.set_yscale('log')
        ax.invert_xaxis()
        ax.axhline(1.0, color='gray', lw=0.8)
        ax.set_xlabel('β_t (the chain runs left to right)')
        ax.set_title(name, fontsize=9)
    axes[0].legend(fontsize=7)
    save_figure(fig, stem)


if __name__ == '__main__':
    main()
