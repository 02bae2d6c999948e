"""Is the network prior's extra loss at kappa = 1000 a matter of mixing? A diagnosis on held-out
digits (900-919 by default; never reported as quality).

    python3 -m models.bounds.mixing [--first 900] [--images 20] [--steps 5,10] [--chain-seeds 7,8]

noise_level.py measured the cost of kappa = 1000 (one bit, M = 200, sigma = 0.05) with QCS-SGM+ in
float64: 2.05 dB with the shipped network against 1.15 dB with the exact Gaussian prior and for
the Bayes mean (digits 900-909). With an ill-conditioned A the likelihood pins x only along A's
strong directions; along the weak ones the chain must move by the prior's score alone, which is
slow when the posterior is elongated. If under-mixing is what the network loses, more Langevin
time per noise level shrinks the kappa = 1000 cost and leaves Gaussian A about as it is.

This runs the same sampler as noise_level.py (Algorithm 1 with the EP likelihood score,
rescaled to 0.5 of the prior score's norm, eps = 2e-4, 232 levels) with K Langevin steps per
level at the same eps (so K = 10 runs twice the Langevin time of K = 5, with twice the network
calls), on Gaussian A and on the kappa = 1000 operator (numpy draws of gaussian_prior), for each
chain seed, and reports the PSNR of the last iterate per digit and the cost of kappa = 1000 per
K with its standard error over the digit-seed pairs. Writes OUT.json and OUT.png / OUT.svg.
"""
import argparse
import json
import os

import numpy as np

from models.bounds.gaussian_prior import draw_problem, psnr, save_figure
from models.bounds.noise_level import NetworkPrior
from models.bounds.prior_gap import mean_se
from models.bounds.sampler_gap import run_sampler, signs
from models.data import mnist

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--first', type=int, default=900)
    p.add_argument('--images', type=int, default=20)
    p.add_argument('--steps', default='5,10', help='Langevin steps per level K, comma-separated')
    p.add_argument('--chain-seeds', default='7,8', help='numpy seeds of x0 and the Langevin noise')
    p.add_argument('--draw-seed', type=int, default=0,
                   help="numpy seed of both operators (the noise: seed + 1), as gaussian_prior.draw_problem's")
    p.add_argument('--model', default=os.path.join(REPO, 'models/ncsnv2-mnist.onnx'))
    p.add_argument('--out', default=os.path.join(HERE, 'mixing'))
    p.add_argument('--merge', nargs='+', metavar='JSON',
                   help='summarize the runs of earlier outputs (e.g. one per K, run in parallel) instead')
    args = p.parse_args(argv)
    m, sigma, n, eps = 200, 0.05, 784, 2e-4
    if args.merge:
        docs = [json.load(open(f)) for f in args.merge]
        runs = [r for d in docs for r in d['runs']]
        steps = sorted({r['steps'] for r in runs})
        seeds = sorted({r['chain_seed'] for r in runs})
        args.first, args.images = docs[0]['first'], docs[0]['images']
        args.draw_seed = docs[0].get('draw_seed', 0)
    else:
        steps = [int(k) for k in args.steps.split(',')]
        seeds = [int(s) for s in args.chain_seeds.split(',')]
        runs = sample(args, steps, seeds, m, sigma, n, eps)
    summary = []
    for k in steps:
        gaps, means = [], {}
        for op in ('gaussian', '1000'):
            means[op] = float(np.mean([v for r in runs if r['steps'] == k and r['operator'] == op
                                       for v in r['psnr']]))
        for seed in seeds:
            g = next(r for r in runs if r['steps'] == k and r['chain_seed'] == seed and r['operator'] == 'gaussian')
            c = next(r for r in runs if r['steps'] == k and r['chain_seed'] == seed and r['operator'] == '1000')
            gaps.extend(np.subtract(g['psnr'], c['psnr']))
        cost, se = mean_se(gaps)
        summary.append({'steps': k, 'network_calls': 232 * k, 'gaussian_db': means['gaussian'],
                        'kappa1000_db': means['1000'], 'cost_db': cost, 'cost_se_db': se,
                        'pairs': len(gaps)})
        print(f'K = {k:2d} ({232 * k} calls): Gaussian A {means["gaussian"]:.2f} dB, kappa = 1000 '
              f'{means["1000"]:.2f} dB, cost {cost:.2f} +- {se:.2f} dB over {len(gaps)} pairs', flush=True)
    with open(args.out + '.json', 'w') as f:
        json.dump({'first': args.first, 'images': args.images, 'draw_seed': args.draw_seed, 'chain_seeds': seeds,
                   'M': m, 'sigma': sigma,
                   'eps': eps, 'model': args.model,
                   'sampler': 'QCS-SGM+ (EP, damping 0.1, 10 iterations), rescaled to 0.5, 232 levels x K',
                   'summary': summary, 'runs': runs}, f, indent=1)
    plot(summary, args.out)


def sample(args, steps, seeds, m, sigma, n, eps):
    """The last iterates' PSNR for every K, chain seed and operator."""
    test = mnist.images('test').reshape(-1, n).astype(np.float64)[args.first:args.first + args.images] / 255.0
    prior = NetworkPrior(args.model)
    problems = {op: draw_problem(None if op == 'gaussian' else 1000.0, m, args.images, sigma, seed=args.draw_seed)
                for op in ('gaussian', '1000')}
    runs = []
    for k in steps:
        for seed in seeds:
            for op, (a, noise) in problems.items():
                y = signs(a, test, noise)
                x = run_sampler(prior, a, y, sigma, np.random.default_rng(seed), 0.5, eps, k_steps=k)
                ps = [psnr(np.clip(xi, 0, 1), t) for xi, t in zip(x, test)]
                runs.append({'steps': k, 'chain_seed': seed, 'operator': op, 'psnr': ps,
                             'psnr_mean': float(np.mean(ps))})
                print(f'K = {k:2d}, seed {seed}, {op:8s}: PSNR {np.mean(ps):.2f} dB', flush=True)
    return runs


def plot(summary, stem):
    """PSNR on both operators and the cost of kappa = 1000 against K: stem.png / stem.svg."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    ks = [s['steps'] for s in summary]
    axes[0].plot(ks, [s['gaussian_db'] for s in summary], 'o-', label='Gaussian A')
    axes[0].plot(ks, [s['kappa1000_db'] for s in summary], 's--', label='κ = 1000')
    axes[0].set_ylabel('PSNR of the last iterate, dB')
    axes[0].legend(fontsize=8)
    axes[1].errorbar(ks, [s['cost_db'] for s in summary], yerr=[s['cost_se_db'] for s in summary],
                     fmt='o-', capsize=3)
    axes[1].set_ylabel('cost of κ = 1000, dB (± 1 SE)')
    for ax in axes:
        ax.set_xlabel('Langevin steps per level K (same ε)')
        ax.set_xticks(ks)
    fig.suptitle('QCS-SGM+ with the network prior, held-out digits: more Langevin time per level', fontsize=9)
    save_figure(fig, stem)


if __name__ == '__main__':
    main()
