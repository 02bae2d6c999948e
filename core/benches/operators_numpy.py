#!/usr/bin/env python3
"""numpy float32 timings of the sensing-operator computations of `benches/operators.rs`.

For N = 784, M = 200 and N = 12288, M = 4000 (paper's MNIST and CelebA settings) it times one
forward + one adjoint of
  * dense:      y = A @ x, z = A.T @ r with a float32 C-order A (BLAS sgemv);
  * fwht:       the same structured operator as `qcs_core::operator::Structured`
                (A = γ S H_W2 D2 H_W1 D1 Π), with a vectorized numpy FWHT (log2 L reshaped
                add/sub stages) -- numpy has no built-in fast Walsh-Hadamard transform;
  * dct:        a subsampled randomized orthonormal DCT (scipy.fft.dct/idct, norm="ortho"),
                the usual FFT-based fast operator with AA^T = γ² I, for comparison.
The seeded (regenerate-on-the-fly) Gaussian operator has no numpy equivalent.

BLAS threads default to 1 to compare with the single-threaded Rust code; pass --threads K.
Run: python3 core/benches/operators_numpy.py [--threads K]
"""

import argparse
import os
import sys


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeat", type=int, default=5)
    return p.parse_args()


ARGS = parse()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import timeit  # noqa: E402

import numpy as np  # noqa: E402
import scipy.fft  # noqa: E402


def fwht_ortho(v):
    """Orthonormal Walsh-Hadamard transform (Sylvester order) of a power-of-two-length vector."""
    n = v.shape[0]
    h = 1
    out = v.copy()
    while h < n:
        w = out.reshape(-1, 2, h)
        a = w[:, 0, :] + w[:, 1, :]
        b = w[:, 0, :] - w[:, 1, :]
        out = np.stack((a, b), axis=1).reshape(n)
        h *= 2
    return out * np.float32(1.0 / np.sqrt(n))


class StructuredFwht:
    def __init__(self, m, n, rng):
        self.m, self.n = m, n
        self.L = 1 << (n.bit_length() - 1)
        a = int(rng.integers(1, n))
        while np.gcd(a, n) != 1:
            a = int(rng.integers(1, n))
        self.perm = (a * np.arange(n) + int(rng.integers(0, n))) % n  # pi(i) = (a i + b) mod N
        self.d1 = rng.choice(np.array([-1, 1], dtype=np.float32), n)
        self.d2 = rng.choice(np.array([-1, 1], dtype=np.float32), n)
        self.rows = rng.permutation(n)[:m]
        self.gain = np.float32(np.sqrt(n / m))

    def forward(self, x):
        n, L = self.n, self.L
        t = self.d1 * x[self.perm]
        t[:L] = fwht_ortho(t[:L])
        t *= self.d2
        t[n - L:] = fwht_ortho(t[n - L:])
        return self.gain * t[self.rows]

    def adjoint(self, r):
        n, L = self.n, self.L
        t = np.zeros(n, dtype=np.float32)
        t[self.rows] = self.gain * r
        t[n - L:] = fwht_ortho(t[n - L:])
        t *= self.d2
        t[:L] = fwht_ortho(t[:L])
        x = np.empty(n, dtype=np.float32)
        x[self.perm] = self.d1 * t
        return x


class StructuredDct:
    def __init__(self, m, n, rng):
        self.d = rng.choice(np.array([-1, 1], dtype=np.float32), n)
        self.rows = rng.permutation(n)[:m]
        self.n = n
        self.gain = np.float32(np.sqrt(n / m))

    def forward(self, x):
        return self.gain * scipy.fft.dct(self.d * x, norm="ortho")[self.rows]

    def adjoint(self, r):
        t = np.zeros(self.n, dtype=np.float32)
        t[self.rows] = self.gain * r
        return self.d * scipy.fft.idct(t, norm="ortho")


def best_seconds(fn, repeat):
    t = timeit.Timer(fn)
    number, _ = t.autorange()
    number = max(1, number // 4) if number > 4 else number
    return min(t.repeat(repeat=repeat, number=number)) / number


def check_structured(op, m, n, rng):
    x = rng.standard_normal(n).astype(np.float32)
    r = rng.standard_normal(m).astype(np.float32)
    y = op.forward(x)
    z = op.adjoint(r)
    assert y.dtype == np.float32 and z.dtype == np.float32, (y.dtype, z.dtype)
    lhs, rhs = float(np.dot(y, r)), float(np.dot(x, z))
    assert abs(lhs - rhs) <= 1e-4 * (np.linalg.norm(y) * np.linalg.norm(r)), (lhs, rhs)


def main():
    rng = np.random.default_rng(12345)
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, BLAS threads {ARGS.threads}")
    print(f"{'N':>6} {'M':>5} {'operator':>10} {'fwd+adj':>12} {'ns/entry':>9}")
    for n, m in ((784, 200), (12288, 4000)):
        a = (rng.standard_normal((m, n), dtype=np.float32) / np.float32(np.sqrt(m))).astype(np.float32)
        x = rng.standard_normal(n).astype(np.float32)
        r = rng.standard_normal(m).astype(np.float32)
        ops = {"fwht": StructuredFwht(m, n, rng), "dct": StructuredDct(m, n, rng)}
        for op in ops.values():
            check_structured(op, m, n, rng)
        timings = {
            "dense": best_seconds(lambda: (a @ x, a.T @ r), ARGS.repeat),
            "fwht": best_seconds(lambda: (ops["fwht"].forward(x), ops["fwht"].adjoint(r)), ARGS.repeat),
            "dct": best_seconds(lambda: (ops["dct"].forward(x), ops["dct"].adjoint(r)), ARGS.repeat),
        }
        for name, t in timings.items():
            ns_entry = t * 1e9 / (2 * m * n)
            unit = f"{t * 1e3:9.3f} ms" if t >= 1e-3 else f"{t * 1e6:9.1f} µs"
            print(f"{n:>6} {m:>5} {name:>10} {unit:>12} {ns_entry:9.4f}")
        print(f"{'':>6} {'':>5} dense/fwht = {timings['dense'] / timings['fwht']:.1f}x, "
              f"dense/dct = {timings['dense'] / timings['dct']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
