"""Measure then reconstruct on a short schedule; bit for bit with `qcs reconstruct`."""

import subprocess
import threading
import time

import numpy as np
import pytest

import qcs

SHORT = dict(levels=5, steps=1)


def test_python_equals_the_cli_bit_for_bit(cli, repo, digits, reconstructor, tmp_path):
    frames = []
    for i, bits in enumerate((1, 3)):
        path = tmp_path / f"d{i}.qcsf"
        path.write_bytes(qcs.measure(digits[i], measurements=200, bits=bits, noise_seed=i))
        frames.append(path)
    got = reconstructor.reconstruct(frames, samples=2, seed=11, **SHORT)  # a batch in one call
    for path, r in zip(frames, got):
        out = tmp_path / (path.stem + "-out")
        subprocess.run([cli, "reconstruct", str(path), "--method", "qcs-sgm", "--levels", "5", "--steps", "1",
                        "--samples", "2",
                        "--chain-seed", "11", "--model", str(repo / "models/ncsnv2-mnist.onnx"),
                        "--out", str(out)], check=True, capture_output=True)
        np.testing.assert_array_equal(r.mean, np.load(out / "mean.npy"))
        np.testing.assert_array_equal(r.std, np.load(out / "std.npy"))
        np.testing.assert_array_equal(r.samples, np.load(out / "samples.npy"))
        assert r.mean.dtype == np.float32 and r.samples.shape == (2, 28, 28)
        assert r.report["network_calls"] == 5 and r.report["samples"] == 2 and r.report["chain_seed"] == 11


def test_threads_and_inputs_do_not_change_the_result(digits, reconstructor, repo):
    data = qcs.measure(digits[3], measurements=200)
    a = reconstructor.reconstruct(data, samples=2, seed=5, **SHORT)
    one = qcs.Reconstructor(model=repo / "models/ncsnv2-mnist.onnx", threads=1, method="qcs-sgm")
    for same in (bytearray(data), qcs.Frame.decode(data)):
        b = one.reconstruct(same, samples=2, seed=5, **SHORT)
        np.testing.assert_array_equal(a.samples, b.samples)
    assert a.report["kind"] == "one-bit" and a.report["schedule"]["levels"] == 5
    assert a.report["method"] == "qcs-sgm" and 0 < a.report["seconds"] <= a.report["call_seconds"]
    np.testing.assert_array_equal(a.mean, a.samples.mean(axis=0, dtype=np.float64).astype(np.float32))


def test_a_short_reconstruction_is_close_to_the_digit(digits, reconstructor):
    # a few levels of the paper's schedule, cut short: already near the digit
    r = reconstructor.reconstruct(qcs.measure(digits[0], measurements=200), samples=2, seed=0, levels=40, steps=2)
    err = np.mean((r.mean - digits[0]) ** 2)
    assert err < np.mean((digits[0] - digits[0].mean()) ** 2)


def test_the_gil_is_released_while_sampling(digits, reconstructor):
    data = qcs.measure(digits[0], measurements=200)
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    t = threading.Thread(target=tick)
    t.start()
    try:
        t0 = time.perf_counter()
        reconstructor.reconstruct(data, samples=1, seed=0, levels=20, steps=1)
        t1 = time.perf_counter()
    finally:
        stop.set()
        t.join()
    during = [s for s in ticks if t0 < s < t1]
    assert len(during) >= max(2, int((t1 - t0) / 0.005 * 0.2)), (len(during), t1 - t0)


def test_a_colour_frame_comes_back_channels_last(cli, repo, tmp_path):
    """Any image shape (issue 14): an (H, W, 3) array → frame → the arrays as (H, W, 3), equal
    to the CLI's, with the randomly initialised 3 × 32 × 32 test model."""
    model = repo / "host/tests/data/models/ncsnv2_rgb32.onnx"
    x = np.random.default_rng(3).random((32, 32, 3)).astype(np.float32)
    data = qcs.measure(x, measurements=400)
    frame = qcs.Frame.decode(data)
    assert (frame.height, frame.width, frame.channels) == (32, 32, 3)
    r = qcs.Reconstructor(model=model, threads=1, method="qcs-sgm").reconstruct(data, samples=2, seed=4, levels=2,
                                                                                  steps=1)
    assert r.mean.shape == (32, 32, 3) and r.std.shape == (32, 32, 3) and r.samples.shape == (2, 32, 32, 3)
    path = tmp_path / "c.qcsf"
    path.write_bytes(data)
    out = tmp_path / "c-out"
    subprocess.run([cli, "reconstruct", str(path), "--method", "qcs-sgm", "--levels", "2", "--steps", "1",
                    "--samples", "2",
                    "--chain-seed", "4", "--model", str(model), "--out", str(out)],
                   check=True, capture_output=True)
    np.testing.assert_array_equal(r.mean, np.load(out / "mean.npy"))
    np.testing.assert_array_equal(r.samples, np.load(out / "samples.npy"))


def test_pnp_probit_equals_the_cli_and_counts_its_calls(cli, repo, digits, tmp_path):
    model = repo / "models/ncsnv2-mnist.onnx"
    pnp = qcs.Reconstructor(model=model, method="pnp-probit", calls=6)
    assert pnp.method == "pnp-probit"
    path = tmp_path / "d2.qcsf"
    path.write_bytes(qcs.measure(digits[2], measurements=200))
    r = pnp.reconstruct(path, samples=2, seed=3)
    out = tmp_path / "pnp-out"
    subprocess.run([cli, "reconstruct", str(path), "--method", "pnp-probit", "--calls", "6", "--samples", "2",
                    "--chain-seed", "3", "--model", str(model), "--out", str(out)], check=True, capture_output=True)
    np.testing.assert_array_equal(r.samples, np.load(out / "samples.npy"))
    assert r.report["method"] == "pnp-probit" and r.report["network_calls"] == 6
    assert r.report["schedule"]["levels"] == 6 and r.report["schedule"]["kappa"] == pytest.approx(0.4)
    with pytest.raises(ValueError, match='steps and epsilon do not apply to method "pnp-probit"'):
        pnp.reconstruct(path, samples=1, steps=2)
    # pnp-probit is the default of both the package and the command line, with the same result.
    default = qcs.Reconstructor(model=model)
    assert default.method == qcs.METHOD == "pnp-probit"
    r = default.reconstruct(path, samples=1, seed=5, levels=4)
    out = tmp_path / "default-out"
    subprocess.run([cli, "reconstruct", str(path), "--levels", "4", "--samples", "1", "--chain-seed", "5",
                    "--model", str(model), "--out", str(out)], check=True, capture_output=True)
    np.testing.assert_array_equal(r.samples, np.load(out / "samples.npy"))
    assert r.report["method"] == "pnp-probit" and r.report["network_calls"] == 4


def test_a_call_budget_sets_the_levels_of_qcs_sgm(cli, repo, digits, tmp_path):
    model = repo / "models/ncsnv2-mnist.onnx"
    path = tmp_path / "d1b.qcsf"
    path.write_bytes(qcs.measure(digits[1], measurements=200, noise_seed=9))
    r = qcs.Reconstructor(model=model, calls=10, method="qcs-sgm").reconstruct(path, samples=1, seed=2, steps=5)
    assert r.report["network_calls"] == 10 and r.report["schedule"]["levels"] == 2
    out = tmp_path / "budget-out"
    subprocess.run([cli, "reconstruct", str(path), "--method", "qcs-sgm", "--calls", "10", "--samples", "1",
                    "--chain-seed", "2",
                    "--model", str(model), "--out", str(out)], check=True, capture_output=True)
    np.testing.assert_array_equal(r.samples, np.load(out / "samples.npy"))
