"""What the sensing operator alone costs: the Bayes posterior mean under a fixed Gaussian prior.

    python3 -m models.bounds.gaussian_prior [--images 20] [--out models/bounds/results.json]

Issue 13 asks QCS-SGM+ to come within 1 dB of its Gaussian-A figure at kappa(AA^T) = 1000. Whether
any score can do that depends on how much the ill-conditioned measurements tell about x at all.
This script holds the prior and the estimator fixed and changes only the operator:

* prior: x ~ N(mu, S) with mu, S the mean and covariance of the 9,000 training digits (pixels in
  [0, 1]); a fixed, digit-agnostic prior, independent of the score model and of the Rust code;
* measurements: w = A x + n, n ~ N(0, sigma^2 I), y = Q(w) (one bit: sign; Q bits: the paper's
  uniform quantizer, eq. 3-4, Delta from the range of w as in the reference sampler; or none);
* estimator: the posterior mean E[x | y]. x and w are jointly Gaussian, so
  E[x | y] = mu + S A^T C^-1 (E[w | y] - A mu) with C = A S A^T + sigma^2 I, and E[w | y] is the
  mean of N(A mu, C) truncated to the box of quantization bins y names. Unquantized, E[w | y] = y
  (the LMMSE estimate, exact). Quantized, E[w | y] comes from expectation propagation on the box
  (Minka 2001; for truncated Gaussians Cunningham, Hennig & Lacoste-Julien, "Gaussian probabilities
  and expectation propagation", 2011: sequential site updates, rank-one covariance updates), which
  is checked against numerical integration in models/tests/test_bounds.py.

Operators, drawn here in numpy (same distributions as host/src/eval/measure.rs, not the same draws):
Gaussian A with N(0, 1/M) entries, and A = U diag(d) V with U, V Haar-orthogonal (QR of Gaussian
matrices) and d_i^2 proportional to kappa^(-i/M), scaled to sum(d^2) = N, as experiment 3/7's.

PSNR is of the posterior mean (clipped to [0, 1]) against each of the first --images test digits,
averaged over digits. A sampler that returns one posterior sample has, in expectation, twice the
posterior variance as error, so its PSNR sits about 3 dB lower, but the *difference* between two
operators is the same for both: that difference is what this script reports.
"""
import argparse
import json
import math
import os

import numpy as np
from scipy import special

from models.data import mnist

HERE = os.path.dirname(os.path.abspath(__file__))


# ----------------------------------------------------------------------------- truncated normal

def truncated_normal_moments(a, b):
    """Mean and variance of a standard normal truncated to [a, b] (a < b, either may be infinite),
    evaluated in log space so that both tails stay finite (Z = Phi(b) - Phi(a) computed as the
    difference of the smaller tail masses)."""
    a, b = float(a), float(b)
    if a > 0:  # both bounds in the upper tail: reflect to the lower tail, where Phi is small
        m, v = truncated_normal_moments(-b, -a)
        return -m, v
    # now a <= 0: log Z = log(Phi(b) - Phi(a))
    la, lb = special.log_ndtr(a), special.log_ndtr(b)
    log_z = lb + math.log1p(-math.exp(la - lb)) if math.isfinite(la) else lb
    lpa = -0.5 * a * a - 0.5 * math.log(2 * math.pi) if math.isfinite(a) else -math.inf
    lpb = -0.5 * b * b - 0.5 * math.log(2 * math.pi) if math.isfinite(b) else -math.inf
    ra = math.exp(lpa - log_z)  # phi(a) / Z
    rb = math.exp(lpb - log_z)
    mean = ra - rb
    ta = a * ra if math.isfinite(a) else 0.0
    tb = b * rb if math.isfinite(b) else 0.0
    var = 1.0 + ta - tb - mean * mean
    return mean, max(var, 1e-300)


# ----------------------------------------------------------------------------- EP on a box

def box_posterior_mean(m0, c0, lo, hi, damping=0.0, max_sweeps=100, tol=1e-8):
    """Mean of N(m0, c0) truncated to the box lo <= w <= hi, by expectation propagation with one
    Gaussian site per coordinate. Returns (mean, sweeps)."""
    m = len(m0)
    tau = np.zeros(m)
    nu = np.zeros(m)
    cov = c0.copy()
    mu = m0.copy()
    for sweep in range(1, max_sweeps + 1):
        moved = 0.0
        for i in range(m):
            s_ii = cov[i, i]
            tau_c = 1.0 / s_ii - tau[i]
            nu_c = mu[i] / s_ii - nu[i]
            mc, vc = nu_c / tau_c, 1.0 / tau_c
            sd = math.sqrt(vc)
            zm, zv = truncated_normal_moments((lo[i] - mc) / sd, (hi[i] - mc) / sd)
            mh, vh = mc + sd * zm, vc * zv
            tau_new = (1.0 - damping) * (1.0 / vh - tau_c) + damping * tau[i]
            nu_new = (1.0 - damping) * (mh / vh - nu_c) + damping * nu[i]
            d_tau, d_nu = tau_new - tau[i], nu_new - nu[i]
            if d_tau == 0.0 and d_nu == 0.0:
                continue
            col = cov[:, i].copy()
            denom = 1.0 + d_tau * s_ii
            mu += col * ((d_nu - d_tau * mu[i]) / denom)
            cov -= np.outer(col, col) * (d_tau / denom)
            tau[i], nu[i] = tau_new, nu_new
            moved = max(moved, abs(d_nu) / (abs(nu_new) + 1.0 / sd), abs(d_tau) / (tau_new + tau_c))
        # recompute from the sites (keeps rounding from accumulating over sweeps)
        sq = np.sqrt(tau)
        b = np.eye(m) + sq[:, None] * c0 * sq[None, :]
        k = c0 * sq[None, :]
        cov = c0 - k @ np.linalg.solve(b, k.T)
        mu = cov @ nu + m0 - k @ np.linalg.solve(b, sq * m0)
        if moved < tol:
            return mu, sweep
    return mu, max_sweeps


# ----------------------------------------------------------------------------- problem

def gaussian_operator(rng, m, n):
    """N(0, 1/M) entries."""
    return rng.standard_normal((m, n)) / math.sqrt(m)


def ill_conditioned_operator(rng, m, n, kappa):
    """U diag(d) V with Haar U (M x M), V (M orthonormal rows of length N), d_i^2 ~ kappa^(-i/M),
    sum d^2 = N (experiment 3's construction, host/src/eval/measure.rs)."""
    u, r = np.linalg.qr(rng.standard_normal((m, m)))
    u *= np.sign(np.diag(r))[None, :]
    v, r = np.linalg.qr(rng.standard_normal((n, m)))
    v = (v * np.sign(np.diag(r))[None, :]).T
    raw = kappa ** (-np.arange(m) / m)
    d2 = raw * (n / raw.sum())
    return (u * np.sqrt(d2)[None, :]) @ v


def draw_problem(kappa, m, images, sigma, seed=0):
    """The operator (Gaussian for kappa None, else the kappa operator) drawn from numpy seed `seed`
    and the measurement noise [images, M] from seed + 1: the draws every script of models/bounds
    shares, so that their cells compare the same A, noise and digits."""
    rng = np.random.default_rng(seed)
    a = gaussian_operator(rng, m, 784) if kappa is None else ill_conditioned_operator(rng, m, 784, kappa)
    return a, sigma * np.random.default_rng(seed + 1).standard_normal((images, m))


def box_of(w, bits):
    """(lo, hi, delta) of the quantization bins that the values w fall in (paper eq. 3-4)."""
    if bits == 1:
        pos = w >= 0
        return np.where(pos, 0.0, -np.inf), np.where(pos, np.inf, 0.0), None
    levels = 2 ** bits
    delta = float((w.max() - w.min()) / levels)
    r = np.clip(np.floor(w / delta).astype(np.int64) + levels // 2 + 1, 1, levels)
    lo = np.where(r == 1, -np.inf, (r - levels // 2 - 1) * delta)
    hi = np.where(r == levels, np.inf, (r - levels // 2) * delta)
    return lo, hi, delta


def posterior_mean(a, mu, cov_x, sigma, y_box_or_values, bits):
    """E[x | y] under x ~ N(mu, cov_x), w = A x + n; bits = 0: y are the values w."""
    sa = cov_x @ a.T  # S A^T
    c = a @ sa + sigma ** 2 * np.eye(a.shape[0])
    aw = a @ mu
    if bits == 0:
        ew = y_box_or_values
        sweeps = 0
    else:
        lo, hi = y_box_or_values
        ew, sweeps = box_posterior_mean(aw, c, lo, hi)
    return mu + sa @ np.linalg.solve(c, ew - aw), sweeps


def psnr(x, ref):
    mse = float(np.mean((x - ref) ** 2))
    return 10.0 * math.log10(1.0 / mse)


def run(images, m, sigma, cells, seed=0, progress=print, first=0):
    train = mnist.images('train').reshape(-1, 784).astype(np.float64) / 255.0
    mu = train.mean(axis=0)
    cov_x = np.cov(train, rowvar=False)
    test = mnist.images('test').reshape(-1, 784).astype(np.float64)[first:first + images] / 255.0
    out = []
    for operator, kappa, bits in cells:
        a, noise = draw_problem(None if operator == 'gaussian' else kappa, m, images, sigma, seed)
        ps, sweeps = [], []
        for j, x in enumerate(test):
            w = a @ x + noise[j]
            if bits == 0:
                y = w
            else:
                lo, hi, _ = box_of(w, bits)
                y = (lo, hi)
            est, sw = posterior_mean(a, mu, cov_x, sigma, y, bits)
            ps.append(psnr(np.clip(est, 0.0, 1.0), x))
            sweeps.append(sw)
        cell = {'operator': operator, 'kappa': kappa, 'bits': bits, 'M': m, 'sigma': sigma, 'images': images,
                'psnr_mean': float(np.mean(ps)), 'psnr_std': float(np.std(ps)), 'psnr': [float(p) for p in ps],
                'ep_sweeps_max': int(max(sweeps))}
        progress(f"{operator:9s} kappa {kappa:>7g} bits {bits}: {cell['psnr_mean']:.2f} +- {cell['psnr_std']:.2f} dB"
                 f" (EP sweeps <= {cell['ep_sweeps_max']})")
        out.append(cell)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--images', type=int, default=20)
    p.add_argument('--M', type=int, default=200)
    p.add_argument('--sigma', type=float, default=0.05)
    p.add_argument('--out', default=os.path.join(HERE, 'results.json'))
    args = p.parse_args(argv)
    cells = [('gaussian', 0.0, b) for b in (1, 3, 0)]
    cells += [('ill', k, 1) for k in (1.0, 10.0, 100.0, 1000.0, 10000.0)]
    cells += [('ill', 1000.0, b) for b in (3, 0)]
    res = run(args.images, args.M, args.sigma, cells, progress=lambda s: print(s, flush=True))
    with open(args.out, 'w') as f:
        json.dump({'prior': 'Gaussian: mean and covariance of the 9,000 training digits',
                   'estimator': 'posterior mean (EP on the box of bins for quantized w), clipped to [0, 1]',
                   'cells': res}, f, indent=1)
    print(f'wrote {args.out}')
    plot(res, os.path.splitext(args.out)[0])


def plot(cells, stem):
    """PSNR of the posterior mean against kappa (one bit), the Gaussian-A figure as a line: stem.png/.svg."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    ill = sorted((c['kappa'], c['psnr_mean'], c['psnr_std'])
                 for c in cells if c['operator'] == 'ill' and c['bits'] == 1)
    gauss = [c['psnr_mean'] for c in cells if c['operator'] == 'gaussian' and c['bits'] == 1]
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    sem = [s / math.sqrt(cells[0]['images']) for *_, s in ill]
    ax.errorbar([k for k, _, _ in ill], [p for _, p, _ in ill], yerr=sem,
                marker='o', capsize=3, label='A = U diag(d) V, eigenvalues of AAᵀ spanning κ')
    if gauss:
        ax.axhline(gauss[0], color='gray', ls='--', label=f'Gaussian A ({gauss[0]:.2f} dB)')
        ax.axhline(gauss[0] - 1.0, color='gray', ls=':', label='Gaussian A − 1 dB')
    ax.set_xscale('log')
    ax.set_xlabel('κ(AAᵀ)')
    ax.set_ylabel('PSNR of E[x | y] (dB)')
    ax.set_title('Gaussian prior, one bit, M = 200, σ = 0.05', fontsize=10)
    ax.legend(fontsize=8)
    save_figure(fig, stem)


def save_figure(fig, stem):
    """Write a matplotlib figure as stem.png and stem.svg (the results of models/bounds come as both);
    the same figure gives the same bytes (no date, fixed SVG ids), so regenerating it changes no file."""
    import matplotlib
    matplotlib.rcParams['svg.hashsalt'] = 'qcs'
    fig.tight_layout()
    for ext in ('png', 'svg'):
        meta = {'Date': None} if ext == 'svg' else {}
        fig.savefig(f'{stem}.{ext}', dpi=120, metadata=meta)
    print(f'wrote {stem}.png and {stem}.svg')


if __name__ == '__main__':
    main()
