"""A dense sensing matrix from numpy: its fingerprint against hashlib, frames that name it, and
the reconstruction with it equal, bit for bit, to that of the seeded operator it copies."""

import hashlib

import numpy as np
import pytest

import qcs


def test_the_fingerprint_is_the_sha256_of_the_f32_values():
    a = np.random.default_rng(5).standard_normal((4, 7))
    want = int.from_bytes(hashlib.sha256(a.astype("<f4").tobytes()).digest()[:8], "little")
    assert qcs.matrix_fingerprint(a) == want
    assert qcs.matrix_fingerprint(np.asfortranarray(a)) == want
    with pytest.raises(ValueError, match="a sensing matrix is 2-D"):
        qcs.matrix_fingerprint(a.ravel())
    b = a.copy()
    b[2, 3] = np.inf
    with pytest.raises(ValueError, match=r"entry \[2, 3\] is inf"):
        qcs.matrix_fingerprint(b)


def test_a_dense_frame_reconstructs_as_the_seeded_frame_it_copies(digits, reconstructor):
    x = digits[0]
    seeded = qcs.Frame.decode(qcs.measure(x, measurements=120, seed=7))
    a = seeded.operator.to_dense()
    dense = qcs.Frame.decode(qcs.measure(x, measurements=120, matrix=a))
    assert dense.operator_kind == "dense"
    assert dense.seed == qcs.matrix_fingerprint(a)
    assert np.array_equal(dense.codes, seeded.codes)
    with pytest.raises(ValueError, match="does not carry it"):
        _ = dense.operator
    short = dict(samples=2, levels=3, steps=1)
    r_seeded = reconstructor.reconstruct(seeded, **short)
    r_dense = reconstructor.reconstruct(dense, matrix=a, **short)
    assert np.array_equal(r_seeded.mean, r_dense.mean)
    with pytest.raises(ValueError, match="does not carry it: give it with --matrix"):
        reconstructor.reconstruct(dense, **short)
    wrong = a.copy()
    wrong[0, 0] += 1.0
    with pytest.raises(ValueError, match="not the matrix the sensor measured with"):
        reconstructor.reconstruct(dense, matrix=wrong, **short)
    with pytest.raises(ValueError, match="matrix: 120 × 784, but measurements = 100"):
        qcs.measure(x, measurements=100, matrix=a)
