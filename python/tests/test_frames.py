"""Frames from numpy: byte for byte those of `qcs measure`, read back by the independent
Python frame reader (core/tests/reference/frame_reference.py)."""

import importlib.util
import subprocess

import numpy as np
import pytest

import qcs

CASES = {
    "one-bit": dict(bits=1),
    "3-bit": dict(bits=3),
    "3-bit-delta": dict(bits=3, delta=0.25),
    "unquantized": dict(bits=0),
    "structured": dict(bits=2, operator="structured"),
    "thresholds": dict(thresholds=[-0.1, 0.0, 0.1], codewords=[-0.2, -0.05, 0.05, 0.2]),
}


def cli_args(opts):
    args = []
    for k, v in opts.items():
        if k in ("thresholds", "codewords"):
            v = ",".join(str(t) for t in v)
        args += [f"--{k.replace('_', '-')}", str(v)]
    return args


@pytest.fixture(scope="module")
def reference(repo):
    spec = importlib.util.spec_from_file_location("frame_reference", repo / "core/tests/reference/frame_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("case", CASES)
def test_measure_matches_the_cli_and_the_reference_reader(case, cli, digits, reference, tmp_path):
    opts = dict(measurements=150, sigma=0.05, seed=99, noise_seed=4, counter=7, **CASES[case])
    x = digits[1]
    frame = qcs.measure(x, **opts)
    raw = tmp_path / "x.f32"
    x.astype("<f4").tofile(raw)
    out = tmp_path / "f.qcsf"
    subprocess.run([cli, "measure", "--raw", str(raw), "--height", "28", "--width", "28", "-o", str(out),
                    *cli_args({k: v for k, v in opts.items() if k != "operator"}),
                    "--operator", opts.get("operator", "seeded")], check=True, capture_output=True)
    assert frame == out.read_bytes()

    f = qcs.Frame.decode(frame)
    h, data = reference.decode(frame)
    assert (f.counter, f.n, f.height, f.width, f.channels, f.m, f.seed, f.bits) == (
        h["counter"], h["n"], h["height"], h["width"], h["channels"], h["m"], h["seed"], h["bits"])
    assert f.sigma == h["sigma"]
    assert f.operator_kind == {1: "seeded", 2: "structured"}[h["operator"]]
    assert f.quantizer == reference.QUANTIZERS[h["quantizer"]]
    assert f.shape == (28, 28) and len(f) == len(frame) and f.to_bytes() == frame
    if f.quantizer == "unquantized":
        assert f.codes is None and f.values.dtype == np.float32
        np.testing.assert_array_equal(f.values, np.array(data, dtype=np.float32))
    else:
        assert f.values is None and f.codes.dtype == np.uint16
        np.testing.assert_array_equal(f.codes, np.array(data, dtype=np.uint16))
    if "delta" in h and f.bits >= 2:
        assert f.delta == h["delta"]
    if "thresholds" in h:
        assert f.thresholds == h["thresholds"] and f.codewords == h["codewords"]


def test_gaussian_is_the_seeded_operator_and_shapes(digits):
    x = digits[0]
    assert qcs.measure(x, measurements=50, operator="gaussian") == qcs.measure(x, measurements=50, operator="seeded")
    assert qcs.Frame.decode(qcs.measure(x.ravel(), measurements=50)).shape == (784,)
    rgb = np.stack([x, x, x], axis=-1)
    f = qcs.Frame.decode(qcs.measure(rgb, measurements=50))
    assert (f.shape, f.n, f.channels) == ((28, 28, 3), 2352, 3)
    # float64 input is converted to float32 (the sensor's precision)
    assert qcs.measure(x.astype(np.float64), measurements=50) == qcs.measure(x, measurements=50)


@pytest.mark.parametrize("kind", ["gaussian", "structured"])
def test_operator_applies_and_materialises(kind, digits):
    x = digits[2]
    f = qcs.Frame.decode(qcs.measure(x, measurements=100, operator=kind))
    A = f.operator
    D = A.to_dense()
    assert D.shape == A.shape == (100, 784) and A.T.shape == (784, 100)
    np.testing.assert_allclose(A @ x, D @ x.ravel(), rtol=0, atol=1e-5)
    r = np.linspace(-1, 1, 100, dtype=np.float32)
    np.testing.assert_allclose(A.T @ r, D.T @ r, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(A.T.to_dense(), D.T)
    if kind == "gaussian":  # N(0, 1/M) entries
        assert abs(D.var() * 100 - 1) < 0.05
