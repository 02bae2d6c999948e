"""Shared fixtures of the Python package's tests: the repository, the `qcs` CLI, frames."""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> str:
    """The `qcs` binary: $QCS_CLI, or the release build in $CARGO_TARGET_DIR or target/."""
    explicit = os.environ.get("QCS_CLI")
    if explicit:
        assert Path(explicit).is_file(), f"QCS_CLI={explicit} does not exist"
        return explicit
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for p in (target / "release" / "qcs", ROOT / "target" / "release" / "qcs"):
        if p.is_file():
            return str(p)
    found = shutil.which("qcs")
    if found is None:
        pytest.skip("no qcs binary (cargo build --release -p qcs-host, or set QCS_CLI)")
    return found


@pytest.fixture(scope="session")
def digits() -> np.ndarray:
    """Four test digits (28 × 28, float32 in [0, 1]) read from the shipped IDX file."""
    import gzip

    raw = gzip.decompress((ROOT / "models/data/mnist-test-images-idx3-ubyte.gz").read_bytes())
    images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    return (images[:4].astype(np.float32) / 255.0)


@pytest.fixture(scope="session")
def reconstructor():
    import qcs

    return qcs.Reconstructor(model=str(ROOT / "models/ncsnv2-mnist.onnx"), method="qcs-sgm")
