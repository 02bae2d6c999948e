"""How much of the digits the strong directions of a kappa = 1000 operator draw see, host against numpy.

    python3 -m models.bounds.draw_energy [--draws 12] [--first 0] [--images 20] [--top 50]

For each draw of the kappa = 1000 operator (M = 200, N = 784), the mean over the digits of the
energy of the centred digit (minus the training mean) in the `--top` strongest right singular
directions of A: for a Haar-distributed V it is top/N of the digit's energy on average. Draws:
the host's construction (`noise_level.host_ill_conditioned_operator`, operator seeds 12345, 12346,
...; qcs-eval's default seed is 12345) and numpy's (`gaussian_prior.ill_conditioned_operator`,
numpy seeds 100, 101, ...). Prints both lists with their means and standard errors; the two
constructions are meant to have the same distribution, and a draw far below the mean measures
these digits less well.
"""
import argparse

import numpy as np

from models.bounds.gaussian_prior import ill_conditioned_operator
from models.bounds.noise_level import host_ill_conditioned_operator
from models.data import mnist


def top_energy(a, xc, k):
    """Mean over the rows of xc of their energy in the k strongest right singular directions of a."""
    _, _, vt = np.linalg.svd(a, full_matrices=False)
    return float(((xc @ vt[:k].T) ** 2).sum(axis=1).mean())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--draws', type=int, default=12)
    p.add_argument('--first', type=int, default=0)
    p.add_argument('--images', type=int, default=20)
    p.add_argument('--top', type=int, default=50)
    args = p.parse_args(argv)
    mean = mnist.images('train').reshape(-1, 784).astype(np.float64).mean(axis=0) / 255.0
    x = mnist.images('test').reshape(-1, 784).astype(np.float64)[args.first:args.first + args.images] / 255.0
    xc = x - mean
    m, n, kappa = 200, 784, 1000.0
    host = [top_energy(host_ill_conditioned_operator(12345 + i, m, n, kappa), xc, args.top)
            for i in range(args.draws)]
    nump = [top_energy(ill_conditioned_operator(np.random.default_rng(100 + i), m, n, kappa), xc, args.top)
            for i in range(args.draws)]
    for name, v in (('host (seeds 12345, ...)', host), ('numpy (seeds 100, ...)', nump)):
        print(f'{name:24s} {" ".join(f"{e:.2f}" for e in v)}  mean {np.mean(v):.3f} '
              f'+- {np.std(v, ddof=1) / np.sqrt(len(v)):.3f}')
    print(f'Haar expectation: {args.top / n * float((xc ** 2).sum(axis=1).mean()):.3f}')


if __name__ == '__main__':
    main()
