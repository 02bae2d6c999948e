"""The Ray Data example on a local Ray (2 CPUs): the same results as one process."""

import importlib.util
import json

import numpy as np
import pytest

import qcs

ray = pytest.importorskip("ray")


def test_ray_example_equals_single_process(repo, digits, reconstructor, tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(4):
        (frames / f"f{i}.qcsf").write_bytes(qcs.measure(digits[i % 4], measurements=200, noise_seed=i, counter=i))
    spec = importlib.util.spec_from_file_location("ray_reconstruct", repo / "python/examples/ray_reconstruct.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    pa, pq = pytest.importorskip("pyarrow"), pytest.importorskip("pyarrow.parquet")
    table = tmp_path / "frames.parquet"
    pq.write_table(pa.table({"frame": [(frames / f"f{i}.qcsf").read_bytes() for i in range(2)]}), table)
    args = ["--actors", "2", "--samples", "2", "--seed", "3", "--method", "qcs-sgm", "--levels", "4", "--steps", "1",
            "--model", str(repo / "models/ncsnv2-mnist.onnx")]
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        out = tmp_path / "out"
        assert mod.main([str(frames), "--out", str(out), *args]) > 0
        assert mod.main([str(table), "--out", str(tmp_path / "pq"), *args]) > 0
    finally:
        ray.shutdown()
    for i in range(2):  # the Parquet table's rows, named by index
        a, b = np.load(tmp_path / "pq" / f"frame{i:06d}.npz"), np.load(out / f"f{i}.npz")
        np.testing.assert_array_equal(a["samples"], b["samples"])
    for i in range(4):
        want = reconstructor.reconstruct(frames / f"f{i}.qcsf", samples=2, seed=3, levels=4, steps=1)
        got = np.load(out / f"f{i}.npz")
        for k in ("mean", "std", "samples"):
            np.testing.assert_array_equal(got[k], getattr(want, k))
        assert json.loads((out / f"f{i}.json").read_text())["frame_counter"] == i
