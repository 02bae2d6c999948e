"""Bad input raises ValueError or OSError with the command line's messages."""

import numpy as np
import pytest

import qcs

X = np.full((28, 28), 0.5, dtype=np.float32)


@pytest.mark.parametrize("kwargs, message", [
    (dict(measurements=0), "--measurements 0 is out of range: a frame holds 1 ..= 16777216 (2^24) measurements"),
    (dict(measurements=10, bits=17), "--bits 17 is out of range: expected 0 (unquantized) to 16"),
    (dict(measurements=10, sigma=-1.0), "--sigma = -1e0 is out of range"),
    (dict(measurements=10, bits=1, delta=0.5), "--delta 0.5 applies to uniform quantizers of --bits 2 or more"),
    (dict(measurements=10, operator="dense"), "--operator dense: a dense matrix is given as the matrix itself"),
    (dict(measurements=10, operator="fourier"), "--operator fourier: expected gaussian (an alias of seeded)"),
    (dict(measurements=10, thresholds=[0.0]), "--thresholds and --codewords go together"),
    (dict(measurements=900, operator="structured"), "--operator structured"),
])
def test_measure_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError) as e:
        qcs.measure(X, **kwargs)
    assert message in str(e.value)


def test_measure_rejects_bad_shapes():
    shape = r"x: an array of shape \[2, 2, 2, 2\]; expected \(H, W\), \(H, W, C\) or \(N,\)"
    with pytest.raises(ValueError, match=shape):
        qcs.measure(np.zeros((2, 2, 2, 2)), measurements=4)
    with pytest.raises(ValueError, match="x: shape"):
        qcs.measure(np.zeros((0,)), measurements=4)


def test_frame_errors(tmp_path):
    good = qcs.measure(X, measurements=20)
    with pytest.raises(ValueError) as e:
        qcs.Frame.decode(good[:-1])
    assert str(e.value) == "frame: invalid frame: frame truncated: 62 bytes, needs 63"
    bad = bytearray(good)
    bad[-1] ^= 1
    with pytest.raises(ValueError, match="^frame: invalid frame: .*CRC"):
        qcs.Frame.decode(bytes(bad))
    missing = tmp_path / "none.qcsf"
    with pytest.raises(OSError, match=f"^{missing}: cannot read"):
        qcs.Frame.decode(str(missing))
    with pytest.raises(OSError, match="is a directory, not a frame file"):
        qcs.Frame.decode(tmp_path)
    with pytest.raises(ValueError, match="expected bytes, bytearray, a Frame or a path"):
        qcs.Frame.decode(3)


def test_reconstructor_errors(tmp_path, reconstructor):
    with pytest.raises(OSError, match="no such model file"):
        qcs.Reconstructor(model=tmp_path / "none.onnx")
    with pytest.raises(OSError, match="is a directory; --model takes an ONNX file"):
        qcs.Reconstructor(model=tmp_path)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not onnx")
    with pytest.raises(ValueError, match="not a loadable ONNX model"):
        qcs.Reconstructor(model=junk)
    with pytest.raises(ValueError, match='method "ald": expected "qcs-sgm"'):
        qcs.Reconstructor(method="ald")
    with pytest.raises(ValueError, match="calls = 3: --calls 3 is less than one level of --steps 5 steps"):
        qcs.Reconstructor(calls=3, method="qcs-sgm").reconstruct(
            qcs.measure(np.zeros((28, 28), np.float32), measurements=20))
    with pytest.raises(ValueError, match="--device tpu: expected cpu or cuda"):
        qcs.Reconstructor(device="tpu")
    with pytest.raises(ValueError, match="--threads must be at least 1, got 0"):
        qcs.Reconstructor(threads=0)

    frame = qcs.measure(X, measurements=20)
    with pytest.raises(ValueError, match="--samples must be at least 1, got 0"):
        reconstructor.reconstruct(frame, samples=0)
    with pytest.raises(ValueError, match=r"^frame: the frame's signal is a plain vector \(N = 784"):
        reconstructor.reconstruct(qcs.measure(X.ravel(), measurements=20))
    small = qcs.measure(np.zeros((8, 8), np.float32), measurements=20)
    size = r"frames\[1\]: the frame's signal is a 8×8 image with 1 channel\(s\), but the model"
    with pytest.raises(ValueError, match=size):
        reconstructor.reconstruct([frame, small])
    with pytest.raises(ValueError, match="schedule options"):
        reconstructor.reconstruct(frame, levels=0)
    with pytest.raises(OSError, match="cannot read"):
        reconstructor.reconstruct(str(tmp_path / "none.qcsf"))
    with pytest.raises(ValueError, match="more than --max-memory"):
        qcs.Reconstructor(max_memory=1000).reconstruct(frame)
