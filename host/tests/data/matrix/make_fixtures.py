"""Fixtures of host/tests/matrix.rs: a small matrix as .npy in three layouts and its
fingerprint computed independently with numpy and hashlib (docs/FRAME_FORMAT.md: the first 8
bytes of the SHA-256 of the f32 values, little-endian, row-major, read as a little-endian u64).

    python3 host/tests/data/matrix/make_fixtures.py
"""

import hashlib
from pathlib import Path

import numpy as np

here = Path(__file__).parent
a = np.random.default_rng(2026).standard_normal((3, 5))
np.save(here / "a_f64.npy", a)  # float64, C order
np.save(here / "a_f32_fortran.npy", np.asfortranarray(a.astype(np.float32)))
np.save(here / "a_3d.npy", a.reshape(1, 3, 5).astype(np.float32))
np.save(here / "a_int.npy", np.arange(15, dtype=np.int32).reshape(3, 5))
bad = a.astype(np.float32)
bad[1, 2] = np.nan
np.save(here / "a_nan.npy", bad)
digest = hashlib.sha256(np.ascontiguousarray(a.astype("<f4")).tobytes()).digest()
(here / "fingerprint.txt").write_text(f"{int.from_bytes(digest[:8], 'little')}\n")
