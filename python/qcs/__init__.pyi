from collections.abc import Sequence
from os import PathLike
from typing import Any, NamedTuple, overload

import numpy as np
import numpy.typing as npt

METHOD: str


def measure(
    x: npt.ArrayLike,
    *,
    measurements: int,
    bits: int = 1,
    sigma: float = 0.05,
    operator: str = "gaussian",
    seed: int = 12345,
    noise_seed: int = 1,
    delta: float | None = None,
    thresholds: Sequence[float] | None = None,
    codewords: Sequence[float] | None = None,
    counter: int = 0,
    scaling: str = "per-measurement",
    matrix: npt.ArrayLike | None = None,
) -> bytes:
    """``y = Q(Ax + n)`` of ``x`` ((H, W), (H, W, C) or (N,)) into a frame, as ``qcs measure``.

    ``operator``: ``"gaussian"`` (alias of ``"seeded"``: i.i.d. N(0, 1/M) rows from ``seed``) or
    ``"structured"``; ``bits`` 0 (unquantized) to 16; ``delta`` the uniform step for bits >= 2
    (default from the range of y); ``thresholds``/``codewords`` a non-uniform quantizer.
    ``matrix``: a dense (M, N) sensing matrix instead (``measurements`` = M), named in the frame
    by its fingerprint (operator kind ``"dense"``; ``operator`` and ``seed`` are then unused).
    Raises ValueError with the CLI's message for bad options or input."""

def matrix_fingerprint(a: npt.ArrayLike) -> int:
    """The fingerprint naming the dense (M, N) matrix ``a`` in a frame (its ``seed`` field): the
    first 8 bytes of the SHA-256 of its float32 values, little-endian, row-major, as a
    little-endian integer (docs/FRAME_FORMAT.md). ValueError for an array that is not 2-D or not
    finite."""

class Operator:
    """The operator A of a frame, regenerated from its seed (or its transpose ``A.T``)."""

    @property
    def shape(self) -> tuple[int, int]: ...
    @property
    def T(self) -> Operator: ...
    @property
    def kind(self) -> str: ...
    def __matmul__(self, x: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def __call__(self, x: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def to_dense(self) -> npt.NDArray[np.float32]: ...

class Frame:
    """A decoded, checked measurement frame."""

    counter: int
    n: int
    height: int
    width: int
    channels: int
    m: int
    sigma: float
    seed: int
    operator_kind: str
    scaling: str
    quantizer: str
    bits: int
    delta: float | None
    thresholds: list[float] | None
    codewords: list[float] | None
    crc: int
    @staticmethod
    def decode(data: bytes | bytearray | Frame | str | PathLike[str]) -> Frame:
        """Decodes bytes (or reads a frame file); ValueError for an invalid frame, OSError for
        a file that cannot be read."""
    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def codes(self) -> npt.NDArray[np.uint16] | None: ...
    @property
    def values(self) -> npt.NDArray[np.float32] | None: ...
    @property
    def operator(self) -> Operator:
        """The operator A; ValueError for a dense matrix, which the frame names by its
        fingerprint (``seed``) and does not carry."""
    def to_bytes(self) -> bytes: ...
    def __bytes__(self) -> bytes: ...
    def __len__(self) -> int: ...

FrameLike = bytes | bytearray | Frame | str | PathLike[str]

class Reconstruction(NamedTuple):
    mean: npt.NDArray[np.float32]
    std: npt.NDArray[np.float32]
    samples: npt.NDArray[np.float32]
    report: dict[str, Any]

class Reconstructor:
    """The NCSNv2 model loaded once, reconstructing frames (``qcs reconstruct``)."""

    def __init__(
        self,
        model: str | PathLike[str] | None = None,
        device: str = "cpu",
        method: str = "pnp-probit",
        calls: int | None = None,
        threads: int | None = None,
        plan_batch: int | None = None,
        max_memory: int | None = None,
    ) -> None: ...
    @property
    def model(self) -> PathLike[str]: ...
    @property
    def device(self) -> str: ...
    @property
    def method(self) -> str: ...
    @overload
    def reconstruct(
        self,
        frames: FrameLike,
        samples: int = 4,
        seed: int = 0,
        *,
        levels: int | None = None,
        steps: int | None = None,
        beta_max: float | None = None,
        beta_min: float | None = None,
        epsilon: float | None = None,
        matrix: npt.ArrayLike | None = None,
    ) -> Reconstruction: ...
    @overload
    def reconstruct(
        self,
        frames: Sequence[FrameLike],
        samples: int = 4,
        seed: int = 0,
        *,
        levels: int | None = None,
        steps: int | None = None,
        beta_max: float | None = None,
        beta_min: float | None = None,
        epsilon: float | None = None,
        matrix: npt.ArrayLike | None = None,
    ) -> list[Reconstruction]: ...
