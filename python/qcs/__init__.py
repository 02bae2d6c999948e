"""qcs: quantized compressed sensing with score-based priors (QCS-SGM), from Python.

The same code as the ``qcs`` command line (the Rust crates ``qcs-core`` and ``qcs-host``):

* :func:`measure` -- what a sensor does, ``y = Q(Ax + n)`` of a numpy array into a frame (bytes);
* :class:`Frame` -- a decoded frame: header fields as attributes, ``codes`` as a numpy array,
  ``operator`` as ``A`` (``A @ x``, ``A.T @ r``, ``A.to_dense()``);
* :func:`matrix_fingerprint` -- the name of a dense sensing matrix in a frame;
* :class:`Reconstructor` -- the NCSNv2 prior loaded once; ``reconstruct`` draws posterior samples
  by annealed Langevin dynamics (the GIL is released while it samples) and returns numpy arrays.

Errors are ``OSError`` (a file that cannot be read) or ``ValueError`` (everything else), with
the command line's messages.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._qcs import METHOD, Frame, Operator, matrix_fingerprint, measure
from ._qcs import Reconstructor as _Reconstructor

__all__ = [
    "METHOD",
    "Frame",
    "Operator",
    "Reconstruction",
    "Reconstructor",
    "matrix_fingerprint",
    "measure",
]


class Reconstruction(NamedTuple):
    """The result of one frame: posterior mean and per-pixel std ``(H, W)``, the samples
    ``(S, H, W)`` (all ``float32`` in [0, 1]), and the report (settings, timings) as a dict."""

    mean: np.ndarray
    std: np.ndarray
    samples: np.ndarray
    report: dict[str, Any]


class Reconstructor(_Reconstructor):
    """The NCSNv2 score model loaded once, reconstructing frames (``qcs reconstruct``).

    Args:
        model: the ONNX model (default: ``ncsnv2-mnist.onnx`` in ``$QCS_MODELS``, ``./models``
            or the repository the package was built from).
        device: ``"cpu"`` or ``"cuda"`` (a build with the ``gpu`` feature).
        method: the sampler; ``"pnp-probit"`` (the default: DiffPIR with the quantized
            likelihood, one network call per level, 100 levels; its tuned defaults measure best
            on every cell of ``docs/RESULTS.md`` experiment 6) or ``"qcs-sgm"`` (the paper's
            Algorithm 1, 1,160 calls, unchanged bit for bit).
        calls: a network-call budget per sample: the number of levels of ``"pnp-probit"``;
            ``floor(calls / steps)`` levels of ``"qcs-sgm"`` (as ``qcs reconstruct --calls``).
        threads: OS threads running the network (default: one per core on the CPU). The
            results do not depend on it.
        plan_batch: images per network call (default 1 on the CPU, all samples on a GPU).
        max_memory: refuse frames needing more bytes than this (default 4 GiB).

    Raises:
        OSError: the model file is missing or a directory.
        ValueError: a bad option, or a file that is not a loadable score model.
    """

    def reconstruct(self, frames, samples=4, seed=0, **schedule):
        """Reconstructs one frame (bytes, bytearray, :class:`Frame` or a path), or a list of
        them in one call.

        Args:
            frames: a frame, or a list of frames.
            samples: posterior samples (chains) drawn together.
            seed: seed of the chains (chain ``b`` uses stream ``b``; ``qcs reconstruct
                --chain-seed``).
            levels, steps, beta_max, beta_min, epsilon: the schedule (keywords). pnp-probit:
                levels and the σ range (beta_max, beta_min); qcs-sgm: all five, default the
                paper's MNIST settings, epsilon 2e-4 for one-bit and 2e-5 otherwise.
            matrix: keyword; the dense (M, N) sensing matrix that frames of operator kind
                ``"dense"`` name by their fingerprint (``measure(..., matrix=A)``).

        Returns:
            A :class:`Reconstruction` for one frame, a list of them for a list.

        Raises:
            OSError: a frame path that cannot be read.
            ValueError: an invalid frame, a frame the model does not fit, bad options, a
                diverged chain.
        """
        out = super().reconstruct(frames, samples, seed, **schedule)
        if isinstance(out, tuple):
            return Reconstruction(*out)
        return [Reconstruction(*r) for r in out]
