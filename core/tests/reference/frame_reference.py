#!/usr/bin/env python3
"""Independent reader/writer of QCS measurement frames, written from docs/FRAME_FORMAT.md.

It imports nothing from the Rust crate and reads no Rust output. Run from the repository
root (python3 core/tests/reference/frame_reference.py); it

* checks its own encoder against its own decoder, the CRC check value, the bit packing
  against numpy.packbits, and the byte listing of the document's example;
* writes the known-answer frames core/tests/data/frame_<name>.bin with a description
  core/tests/data/frame_<name>.txt ("key value ..." lines; floats as the hex of their f32
  bits), which core/tests/frame_reference.rs decodes and re-encodes byte for byte;
* writes corrupted frames core/tests/data/frame_bad_<name>.bin and the manifest
  core/tests/data/frame_bad.csv (file, error, field) naming the error the document
  prescribes, after checking that this decoder reports exactly that error;
* writes a small seed corpus for the fuzzer to core/fuzz/corpus/decode/;
* writes the matrix the dense known-answer frame names by its fingerprint,
  core/tests/data/frame_thresholds2_dense_matrix.npy (host/tests/matrix.rs checks the
  host's fingerprint of it against the frame's `seed`).

Only the standard library and numpy are used.
"""

import hashlib
import random
import struct
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "core" / "tests" / "data"
CORPUS = ROOT / "core" / "fuzz" / "corpus" / "decode"

MAGIC = b"QCSF"
VERSION = 1
HEADER_LEN = 56
MIN_FRAME_LEN = 60
MAX_FRAME_LEN = 56 + 4 * (2**17 - 1) + 4 * 2**24 + 4
MAX_COUNT = 2**24
F32_MIN_NORMAL = 2.0**-126

OPERATORS = {1: "seeded_gaussian", 2: "structured", 3: "dense"}
SCALINGS = {0: "per_measurement", 1: "unit", 2: "unit_rows"}
QUANTIZERS = {1: "uniform", 2: "thresholds", 3: "unquantized"}


class FrameError(Exception):
    """A rejected frame: `error` is the Rust variant name the document maps the check to."""

    def __init__(self, error, field=""):
        super().__init__(f"{error}({field})")
        self.error = error
        self.field = field


def matrix_fingerprint(a):
    """The fingerprint that names a dense matrix in `seed` (operator 3): the first 8 bytes of the
    SHA-256 of its values as f32, little-endian, row-major, read as a little-endian u64."""
    data = np.ascontiguousarray(np.asarray(a, dtype="<f4")).tobytes()
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "little")


def dense_matrix():
    """The 50 x 64 matrix the known-answer dense frame names (written next to it as .npy)."""
    return np.random.default_rng(3).standard_normal((50, 64)).astype("<f4")


def f32(x):
    """x rounded to the nearest f32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f32_from_bits(b):
    return struct.unpack("<f", struct.pack("<I", b))[0]


def is_finite(x):
    return x == x and abs(x) != float("inf")


def pack(codes, q):
    """The big-endian bit stream of the document (code i at stream bits i*q ..)."""
    acc = 0
    for c in codes:
        assert 0 <= c < 2**q
        acc = (acc << q) | c
    nbits = len(codes) * q
    pad = (-nbits) % 8
    return (acc << pad).to_bytes((nbits + pad) // 8, "big")


def unpack(payload, m, q):
    nbits = m * q
    pad = len(payload) * 8 - nbits
    acc = int.from_bytes(payload, "big")
    if acc & ((1 << pad) - 1):
        raise FrameError("InvalidParameter", "codes")
    acc >>= pad
    mask = (1 << q) - 1
    return [(acc >> ((m - 1 - i) * q)) & mask for i in range(m)]


def table_len(kind, q):
    return 4 * (2 ** (q + 1) - 1) if kind == 2 else 0


def payload_len(kind, m, q):
    return 4 * m if kind == 3 else (m * q + 7) // 8


def check_delta(q, delta):
    if not (is_finite(delta) and delta > 0):
        raise FrameError("InvalidParameter", "delta")
    if delta < F32_MIN_NORMAL:
        raise FrameError("InvalidParameter", "delta")
    # (2^Q - 1)·Δ is exact in float64 (at most 16 + 24 significant bits); round it to f32.
    with np.errstate(over="ignore"):
        top = np.float32(np.float64(2**q - 1) * np.float64(delta))
    if not np.isfinite(top):
        raise FrameError("InvalidParameter", "delta")


def check_table(thresholds, codewords):
    for i, t in enumerate(thresholds):
        if not is_finite(t):
            raise FrameError("NonFinite", "thresholds")
        if i > 0 and not t > thresholds[i - 1]:
            raise FrameError("InvalidParameter", "thresholds")
    for c, w in enumerate(codewords):
        if not is_finite(w):
            raise FrameError("NonFinite", "codewords")
        lo = thresholds[c - 1] if c > 0 else float("-inf")
        hi = thresholds[c] if c < len(thresholds) else float("inf")
        if not (lo <= w < hi):
            raise FrameError("InvalidParameter", "codewords")


def encode(h, data):
    """Frame bytes of header dict `h` with codes (quantized kinds) or values (unquantized)."""
    kind, q = h["quantizer"], h["bits"]
    delta = h.get("delta", 0.0) if kind == 1 else 0.0
    table = b""
    if kind == 2:
        table = struct.pack(f"<{len(h['thresholds'])}f", *h["thresholds"])
        table += struct.pack(f"<{len(h['codewords'])}f", *h["codewords"])
        assert len(table) == table_len(kind, q)
    if kind == 3:
        assert q == 0
        payload = struct.pack(f"<{len(data)}f", *data)
    else:
        payload = pack(data, q)
    assert len(data) == h["m"]
    frame_len = HEADER_LEN + len(table) + len(payload) + 4
    head = MAGIC + struct.pack(
        "<HHIIIIIIIfQBBBBf",
        VERSION,
        0,
        frame_len,
        h["counter"],
        h["n"],
        h["height"],
        h["width"],
        h["channels"],
        h["m"],
        h["sigma"],
        h["seed"],
        h["operator"],
        h["scaling"],
        kind,
        q,
        delta,
    )
    assert len(head) == HEADER_LEN
    body = head + table + payload
    return body + struct.pack("<I", zlib.crc32(body))


def decode(b):
    """(header dict, codes or values), or FrameError in the document's order of checks."""
    if len(b) < 12:
        raise FrameError("Truncated")
    if b[0:4] != MAGIC:
        raise FrameError("BadMagic")
    version, flags, frame_len = struct.unpack_from("<HHI", b, 4)
    if version != VERSION:
        raise FrameError("UnsupportedVersion")
    if flags != 0:
        raise FrameError("UnknownFlags")
    if not (MIN_FRAME_LEN <= frame_len <= MAX_FRAME_LEN):
        raise FrameError("InvalidParameter", "frame_len")
    if len(b) < frame_len:
        raise FrameError("Truncated")
    if len(b) > frame_len:
        raise FrameError("TrailingBytes")
    (stored,) = struct.unpack_from("<I", b, frame_len - 4)
    if zlib.crc32(b[: frame_len - 4]) != stored:
        raise FrameError("BadCrc")
    (counter, n, height, width, channels, m, sigma, seed, op, scaling, kind, q) = (
        struct.unpack_from("<IIIIIIfQBBBB", b, 12)
    )
    delta_raw = b[52:56]
    (delta,) = struct.unpack("<f", delta_raw)
    if op not in OPERATORS:
        raise FrameError("UnknownKind", "operator")
    if scaling not in SCALINGS:
        raise FrameError("UnknownKind", "scaling")
    if kind not in QUANTIZERS:
        raise FrameError("UnknownKind", "quantizer")
    if kind in (1, 2) and not 1 <= q <= 16:
        raise FrameError("InvalidParameter", "bits")
    if kind == 3 and q != 0:
        raise FrameError("InvalidParameter", "bits")
    if kind in (2, 3) and delta_raw != b"\0\0\0\0":
        raise FrameError("InvalidParameter", "delta")
    if not 1 <= n <= MAX_COUNT:
        raise FrameError("InvalidParameter", "n")
    dims = (height, width, channels)
    if dims != (0, 0, 0) and height * width * channels != n:
        raise FrameError("InconsistentShape")
    if not 1 <= m <= MAX_COUNT:
        raise FrameError("InvalidParameter", "m")
    t_len, p_len = table_len(kind, q), payload_len(kind, m, q)
    if HEADER_LEN + t_len + p_len + 4 != frame_len:
        raise FrameError("InconsistentLength", "frame_len")
    if not (is_finite(sigma) and sigma >= 0):
        raise FrameError("InvalidParameter", "sigma")
    if op == 2 and m > n:
        raise FrameError("InvalidParameter", "m")
    h = dict(
        counter=counter, n=n, height=height, width=width, channels=channels, m=m,
        sigma=sigma, seed=seed, operator=op, scaling=scaling, quantizer=kind, bits=q,
    )
    if kind == 1:
        check_delta(q, delta)
        h["delta"] = delta
    if kind == 2:
        values = struct.unpack_from(f"<{t_len // 4}f", b, HEADER_LEN)
        thresholds, codewords = list(values[: 2**q - 1]), list(values[2**q - 1 :])
        check_table(thresholds, codewords)
        h["thresholds"], h["codewords"] = thresholds, codewords
    payload = b[HEADER_LEN + t_len : HEADER_LEN + t_len + p_len]
    if kind == 3:
        data = list(struct.unpack(f"<{m}f", payload))
        if not all(is_finite(v) for v in data):
            raise FrameError("NonFinite", "values")
    else:
        data = unpack(payload, m, q)
    return h, data


def header(**kw):
    h = dict(counter=0, height=0, width=0, channels=0, sigma=0.0, seed=0, operator=1,
             scaling=0, bits=0)
    h.update(kw)
    h["sigma"] = f32(h["sigma"])
    if "delta" in h:
        h["delta"] = f32(h["delta"])
    for key in ("thresholds", "codewords"):
        if key in h:
            h[key] = [f32(v) for v in h[key]]
    return h


def known_answer_cases():
    rng = random.Random(20261202)
    cases = {}
    cases["example"] = (
        header(n=4, m=3, sigma=0.5, seed=42, operator=1, scaling=0, quantizer=1, bits=1,
               delta=2.0, counter=7),
        [1, 0, 1],
    )
    cases["onebit_image"] = (
        header(n=784, height=28, width=28, channels=1, m=200, sigma=0.05,
               seed=0x0123456789ABCDEF, operator=1, scaling=0, quantizer=1, bits=1,
               delta=2.0, counter=1),
        [rng.randrange(2) for _ in range(200)],
    )
    cases["uniform3_structured"] = (
        header(n=100, m=37, sigma=0.01, seed=7, operator=2, scaling=2, quantizer=1, bits=3,
               delta=0.25, counter=0xFFFFFFFF),
        [rng.randrange(8) for _ in range(37)],
    )
    cases["uniform16_rgb"] = (
        header(n=12, height=2, width=2, channels=3, m=5, sigma=0.0, seed=2**64 - 1,
               operator=1, scaling=1, quantizer=1, bits=16, delta=1e-3, counter=12345),
        [rng.randrange(2**16) for _ in range(5)],
    )
    cases["thresholds2_dense"] = (
        header(n=64, height=8, width=8, channels=1, m=50, sigma=0.1,
               seed=matrix_fingerprint(dense_matrix()), operator=3,
               scaling=0, quantizer=2, bits=2, thresholds=[-0.5, 0.0, 0.75],
               codewords=[-1.0, -0.25, 0.375, 1.5], counter=3),
        [rng.randrange(4) for _ in range(50)],
    )
    cases["thresholds1"] = (
        header(n=10, m=8, sigma=0.3, seed=5, operator=1, scaling=2, quantizer=2, bits=1,
               thresholds=[0.1], codewords=[-0.3, 0.6], counter=8),
        [rng.randrange(2) for _ in range(8)],
    )
    cases["unquantized"] = (
        header(n=16, m=9, sigma=0.2, seed=31337, operator=2, scaling=1, quantizer=3, bits=0,
               counter=2),
        [f32(rng.gauss(0.0, 3.0)) for _ in range(9)],
    )
    return cases


def describe(h, data):
    hexf = lambda v: f"{f32_bits(v):#010x}"
    lines = []
    for key in ("counter", "n", "height", "width", "channels", "m", "seed", "operator",
                "scaling", "quantizer", "bits"):
        lines.append(f"{key} {h[key]}")
    lines.append(f"sigma {hexf(h['sigma'])}")
    lines.append(f"delta {hexf(h.get('delta', 0.0))}")
    for key in ("thresholds", "codewords"):
        if key in h:
            lines.append(key + " " + " ".join(hexf(v) for v in h[key]))
    if h["quantizer"] == 3:
        lines.append("values " + " ".join(hexf(v) for v in data))
    else:
        lines.append("codes " + " ".join(str(c) for c in data))
    return "\n".join(lines) + "\n"


def with_crc(b):
    """b with its CRC recomputed over bytes 0 .. len - 4 (for field corruptions)."""
    return b[:-4] + struct.pack("<I", zlib.crc32(b[:-4]))


def patch(b, offset, fmt, value, fix_crc=True):
    out = bytearray(b)
    struct.pack_into(fmt, out, offset, value)
    return with_crc(bytes(out)) if fix_crc else bytes(out)


def bad_cases(frames):
    onebit = frames["onebit_image"]
    uni3 = frames["uniform3_structured"]
    thr = frames["thresholds2_dense"]
    lin = frames["unquantized"]
    ex = frames["example"]
    bad = {}
    bad["short_prefix"] = (onebit[:11], "Truncated", "")
    bad["magic"] = (patch(onebit, 0, "<4s", b"QCSG", fix_crc=False), "BadMagic", "")
    bad["version"] = (patch(onebit, 4, "<H", 2), "UnsupportedVersion", "")
    bad["flags"] = (patch(onebit, 6, "<H", 1), "UnknownFlags", "")
    bad["frame_len_small"] = (patch(ex, 8, "<I", 59), "InvalidParameter", "frame_len")
    bad["truncated"] = (onebit[:-1], "Truncated", "")
    bad["trailing"] = (onebit + b"\0", "TrailingBytes", "")
    flipped = bytearray(onebit)
    flipped[-1] ^= 0x01
    bad["crc"] = (bytes(flipped), "BadCrc", "")
    body_flip = bytearray(onebit)
    body_flip[HEADER_LEN] ^= 0x80
    bad["payload_bit"] = (bytes(body_flip), "BadCrc", "")
    bad["operator"] = (patch(onebit, 48, "<B", 0), "UnknownKind", "operator")
    bad["scaling"] = (patch(onebit, 49, "<B", 3), "UnknownKind", "scaling")
    bad["quantizer"] = (patch(onebit, 50, "<B", 4), "UnknownKind", "quantizer")
    bad["bits_zero"] = (patch(uni3, 51, "<B", 0), "InvalidParameter", "bits")
    bad["bits_17"] = (patch(uni3, 51, "<B", 17), "InvalidParameter", "bits")
    bad["unquantized_bits"] = (patch(lin, 51, "<B", 32), "InvalidParameter", "bits")
    bad["thresholds_delta"] = (patch(thr, 52, "<f", -0.0), "InvalidParameter", "delta")
    bad["n_zero"] = (patch(uni3, 16, "<I", 0), "InvalidParameter", "n")
    bad["shape"] = (patch(onebit, 24, "<I", 27), "InconsistentShape", "")
    bad["shape_partial"] = (patch(ex, 20, "<I", 4), "InconsistentShape", "")
    bad["m_zero"] = (patch(ex, 32, "<I", 0), "InvalidParameter", "m")
    bad["m_huge"] = (patch(ex, 32, "<I", 2**24 + 1), "InvalidParameter", "m")
    bad["length"] = (patch(onebit, 32, "<I", 300), "InconsistentLength", "frame_len")
    bad["bits_length"] = (patch(uni3, 51, "<B", 4), "InconsistentLength", "frame_len")
    bad["sigma_negative"] = (patch(onebit, 36, "<f", -0.05), "InvalidParameter", "sigma")
    bad["sigma_nan"] = (patch(onebit, 36, "<I", 0x7FC00000), "InvalidParameter", "sigma")
    bad["sigma_inf"] = (patch(onebit, 36, "<f", float("inf")), "InvalidParameter", "sigma")
    bad["structured_m_gt_n"] = (patch(uni3, 16, "<I", 36), "InvalidParameter", "m")
    bad["delta_zero"] = (patch(uni3, 52, "<f", 0.0), "InvalidParameter", "delta")
    bad["delta_negative"] = (patch(uni3, 52, "<f", -0.25), "InvalidParameter", "delta")
    bad["delta_subnormal"] = (patch(uni3, 52, "<I", 1), "InvalidParameter", "delta")
    bad["delta_overflow"] = (patch(uni3, 52, "<f", 3e38), "InvalidParameter", "delta")
    bad["thresholds_unsorted"] = (patch(thr, 60, "<f", -0.5), "InvalidParameter",
                                  "thresholds")
    bad["threshold_nan"] = (patch(thr, 56, "<I", 0x7FC00000), "NonFinite", "thresholds")
    bad["codeword_bin"] = (patch(thr, 56 + 12 + 4, "<f", 0.5), "InvalidParameter",
                           "codewords")
    bad["codeword_inf"] = (patch(thr, 56 + 12, "<f", float("-inf")), "NonFinite",
                           "codewords")
    # uniform3_structured: 37 codes x 3 bits = 111 bits, one pad bit in the last byte.
    pad = bytearray(uni3)
    pad[-5] |= 0x01
    bad["pad_bit"] = (with_crc(bytes(pad)), "InvalidParameter", "codes")
    bad["value_inf"] = (patch(lin, HEADER_LEN + 8, "<f", float("inf")), "NonFinite",
                        "values")
    return bad


def self_checks(cases, frames):
    assert zlib.crc32(b"123456789") == 0xCBF43926
    # Packing: Q = 1 is numpy.packbits; the document's Q = 3 example.
    r = random.Random(1)
    for m in range(1, 40):
        bits = [r.randrange(2) for _ in range(m)]
        assert pack(bits, 1) == np.packbits(np.array(bits, dtype=np.uint8)).tobytes()
    assert pack([5, 0, 7], 3) == bytes([0xA3, 0x80])
    for q in range(1, 17):
        for m in (1, 2, 7, 8, 9, 33):
            codes = [r.randrange(2**q) for _ in range(m)]
            assert unpack(pack(codes, q), m, q) == codes
    # The document's example listing.
    ex = frames["example"]
    listing = bytes.fromhex(
        "51435346 0100 0000 3d000000"
        "07000000"
        "04000000 00000000 00000000 00000000"
        "03000000 0000003f"
        "2a00000000000000"
        "01000101 00000040"
        "a0"
    )
    assert ex[:-4] == listing and len(ex) == 61, ex.hex()
    # Round trips through this decoder.
    for name, (h, data) in cases.items():
        h2, data2 = decode(frames[name])
        for key, v in h.items():
            assert h2[key] == v, (name, key, h2[key], v)
        assert data2 == data, name


def main():
    cases = known_answer_cases()
    frames = {name: encode(h, data) for name, (h, data) in cases.items()}
    self_checks(cases, frames)
    DATA.mkdir(parents=True, exist_ok=True)
    CORPUS.mkdir(parents=True, exist_ok=True)
    for name, (h, data) in cases.items():
        (DATA / f"frame_{name}.bin").write_bytes(frames[name])
        (DATA / f"frame_{name}.txt").write_text(describe(h, data))
        (CORPUS / f"valid_{name}").write_bytes(frames[name])
    rows = ["file,error,field"]
    for name, (b, error, field) in bad_cases(frames).items():
        try:
            decode(b)
        except FrameError as e:
            assert (e.error, e.field) == (error, field), (name, e.error, e.field)
        else:
            raise AssertionError(f"{name}: accepted")
        (DATA / f"frame_bad_{name}.bin").write_bytes(b)
        (CORPUS / f"bad_{name}").write_bytes(b)
        rows.append(f"frame_bad_{name}.bin,{error},{field}")
    (DATA / "frame_bad.csv").write_text("\n".join(rows) + "\n")
    np.save(DATA / "frame_thresholds2_dense_matrix.npy", dense_matrix())
    print(f"wrote {len(cases)} known-answer frames, {len(rows) - 1} bad frames")


if __name__ == "__main__":
    main()
