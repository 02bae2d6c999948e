"""The cost of kappa = 1000 per prior, pooled over runs of mixture_gap.py and mixing.py.

    python3 -m models.bounds.prior_gap RUN.json ... [--out models/bounds/prior_gap]

Inputs: outputs of `mixture_gap.py` (exact priors: a Gaussian, mixtures of per-class Gaussians)
and of `mixing.py` (the score network; its K = 5 runs, the default schedule). Every run holds
one sample per digit with a Gaussian A and with the kappa = 1000 operator (the numpy draws of
gaussian_prior.py: the same A and noise for every prior on the same digits), so the digits pair
up. Per prior, digit set (first test digit of the run: 0 for the reported digits, 900 for
held-out ones) and operator draw (`--draw-seed` of the runs, 0 by default), over all digit-seed
pairs:

* the cost in dB, PSNR(Gaussian A) - PSNR(kappa = 1000), mean and standard error;
* the cost in error, MSE(kappa = 1000) - MSE(Gaussian A) per digit (MSE = 10^(-PSNR/10) of the
  clipped sample), mean and standard error: a dB cost is relative to the Gaussian-A error,
  so the same added error costs a better prior more dB;
* for the mixtures, how many samples end in another digit's component.

Writes OUT.json and OUT.png / OUT.svg (cost in dB and in MSE per prior, both digit sets, draw 0:
the draw every prior ran on).
"""
import argparse
import json
import math
import os
from collections import defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ['gaussian', 'mixture-10', 'mixture-50', 'training-9000', 'network']


def pairs_of(run):
    """[(prior, first, draw_seed, chain_seed, psnr_gaussian [n], psnr_k1000 [n], other_class_g, other_class_k)]."""
    out = []
    draw = run.get('draw_seed', 0)
    if 'cells' in run:  # mixture_gap.py
        cells = {(c['prior'], c['operator']): c for c in run['cells']}
        for prior in dict.fromkeys(c['prior'] for c in run['cells']):
            g, k = cells.get((prior, 'gaussian')), cells.get((prior, '1000'))
            if g and k:
                out.append((prior, run['first'], draw, run['chain_seed'], g['psnr'], k['psnr'],
                            g.get('other_class'), k.get('other_class')))
    elif 'runs' in run:  # mixing.py: the default K = 5
        by = {(r['chain_seed'], r['operator']): r for r in run['runs'] if r['steps'] == 5}
        for seed in dict.fromkeys(s for s, _ in by):
            g, k = by.get((seed, 'gaussian')), by.get((seed, '1000'))
            if g and k:
                out.append(('network', run['first'], draw, seed, g['psnr'], k['psnr'], None, None))
    else:
        raise ValueError('neither a mixture_gap.py output (cells) nor a mixing.py output (runs)')
    return out


def mean_se(v):
    """Mean and standard error of the mean (NaN for a single value)."""
    v = np.asarray(v, dtype=np.float64)
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else float('nan')


def summarize(runs):
    """{(prior, first, draw_seed): summary} of runs (outputs of mixture_gap.py or mixing.py)."""
    return summarize_pairs(p for run in runs for p in pairs_of(run))


def summarize_pairs(pairs):
    """{(prior, first, draw_seed): summary} pooled over chain seeds (and over the draws, key 'all');
    a (prior, first, draw, chain seed) seen twice is an error."""
    groups, seen = defaultdict(list), set()
    for prior, first, draw, seed, g, k, og, ok in pairs:
        if (prior, first, draw, seed) in seen:
            raise ValueError(f'{prior}, digits from {first}, draw {draw}, chain seed {seed}: given twice')
        seen.add((prior, first, draw, seed))
        groups[(prior, first, draw)].append((seed, np.array(g), np.array(k), og, ok))
    # every prior and digit set run on more than one operator draw: also pooled over the draws
    draws = defaultdict(set)
    for prior, first, draw in list(groups):
        draws[(prior, first)].add(draw)
    for (prior, first), ds in draws.items():
        if len(ds) > 1:
            groups[(prior, first, 'all')] = [r for d in sorted(ds) for r in groups[(prior, first, d)]]
    out = {}
    for (prior, first, draw), rs in groups.items():
        g = np.concatenate([r[1] for r in rs])
        k = np.concatenate([r[2] for r in rs])
        mse_g, mse_k = 10.0 ** (-g / 10.0), 10.0 ** (-k / 10.0)
        s = {'prior': prior, 'first': first, 'draw_seed': draw, 'chain_seeds': sorted({r[0] for r in rs}),
             'digits': len(rs[0][1]), 'pairs': len(g),
             'psnr_gaussian': float(g.mean()), 'psnr_k1000': float(k.mean()),
             'cost_db': mean_se(g - k), 'mse_gaussian': float(mse_g.mean()), 'mse_k1000': float(mse_k.mean()),
             'cost_mse': mean_se(mse_k - mse_g)}
        if all(r[3] is not None for r in rs):
            s['other_digit_gaussian'] = int(sum(r[3] for r in rs))
            s['other_digit_k1000'] = int(sum(r[4] for r in rs))
        out[(prior, first, draw)] = s
    return out


def table(summary):
    lines = ['| digits | operator draw | prior | pairs | Gaussian A, dB | κ = 1000, dB | cost, dB | cost, MSE (×10⁻³) '
             '| samples of another digit (Gaussian A → κ = 1000) |',
             '|---|---|---|---|---|---|---|---|---|']
    for first, draw in sorted({(f, d) for _, f, d in summary}, key=lambda fd: (fd[0], str(fd[1]))):
        for prior in ORDER:
            s = summary.get((prior, first, draw))
            if s is None:
                continue
            other = (f"{s['other_digit_gaussian']} → {s['other_digit_k1000']}" if 'other_digit_k1000' in s else '–')
            last = first + s['digits'] - 1
            lines.append(f"| {first}–{last} | {draw} | {prior} | {s['pairs']} | "
                         f"{s['psnr_gaussian']:.2f} | {s['psnr_k1000']:.2f} | "
                         f"{s['cost_db'][0]:.2f} ± {s['cost_db'][1]:.2f} | "
                         f"{1e3 * s['cost_mse'][0]:.1f} ± {1e3 * s['cost_mse'][1]:.1f} | {other} |")
    return '\n'.join(lines)


def figure(summary, stem):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from models.bounds.gaussian_prior import save_figure
    # the figure: the operator draw every prior ran on (numpy seed 0)
    summary = {(p, f): s for (p, f, d), s in summary.items() if d == 0}
    firsts = sorted({f for _, f in summary})
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    width = 0.8 / max(len(firsts), 1)
    for j, first in enumerate(firsts):
        priors = [p for p in ORDER if (p, first) in summary]
        last = first + summary[(priors[0], first)]['digits'] - 1
        xs = [ORDER.index(p) + (j - (len(firsts) - 1) / 2) * width for p in priors]
        for ax, key, scale in ((axes[0], 'cost_db', 1.0), (axes[1], 'cost_mse', 1e3)):
            vals = [scale * summary[(p, first)][key][0] for p in priors]
            errs = [scale * summary[(p, first)][key][1] for p in priors]
            ax.bar(xs, vals, width, yerr=errs, capsize=3, label=f'test digits {first}–{last}')
    for ax, label in ((axes[0], 'cost of κ = 1000, dB'), (axes[1], 'cost of κ = 1000, MSE × 10⁻³')):
        ax.set_xticks(range(len(ORDER)))
        ax.set_xticklabels(ORDER, rotation=20)
        ax.set_ylabel(label)
        ax.axhline(0, color='k', lw=0.5)
    axes[0].axhline(1.0, color='r', lw=0.8, ls='--', label='issue 13: 1 dB')
    axes[0].legend(fontsize=8)
    fig.suptitle('QCS-SGM+, one bit, M = 200, σ = 0.05: what κ = 1000 costs per prior '
                 '(mean ± SE over digit-seed pairs)', fontsize=9)
    save_figure(fig, stem)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('runs', nargs='+', metavar='RUN.json')
    p.add_argument('--out', default=os.path.join(HERE, 'prior_gap'))
    args = p.parse_args(argv)
    pairs = []
    for path in args.runs:
        with open(path) as f:
            run = json.load(f)
        try:
            pairs.extend(pairs_of(run))
        except ValueError as e:
            raise SystemExit(f'{path}: {e}') from None
    summary = summarize_pairs(pairs)
    print(table(summary))
    with open(args.out + '.json', 'w') as f:
        json.dump({'runs': [os.path.relpath(r) for r in args.runs], 'summary': list(summary.values())}, f, indent=1)
    print(f'wrote {args.out}.json')
    figure(summary, args.out)


if __name__ == '__main__':
    main()
