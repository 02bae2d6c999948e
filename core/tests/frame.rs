//! Measurement frames (`qcs_core::frame`, `docs/FRAME_FORMAT.md`): round trips for every
//! quantizer and operator kind, every decoder error on corrupted real frames, known-answer
//! frames written by the independent Python implementation
//! (`core/tests/reference/frame_reference.py`), the fuzz corpus as a regression test, and
//! property tests that the decoder never panics.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use proptest::prelude::*;
use qcs_core::frame::{
    self, crc32, decode, encode_codes, encode_values, encoded_len, peek_len, Floats, Frame,
    FrameHeader, FrameOperator, OperatorKind, OperatorSpec, QuantizerKind, QuantizerSpec,
    SignalShape, HEADER_LEN, MAX_FRAME_LEN, MAX_M, MAX_N, PREFIX_LEN, VERSION,
};
use qcs_core::operator::{Scaling, SeededGaussian, SensingOperator, Structured};
use qcs_core::quantizer::{Quantizer, ThresholdQuantizer, UniformQuantizer};
use qcs_core::{rng, sensor, Error};

// ---------------------------------------------------------------------------------------
// Helpers

/// The variant name and field of an error, as `frame_bad.csv` names them.
fn error_name(e: &Error) -> (&'static str, &'static str) {
    match *e {
        Error::Truncated { .. } => ("Truncated", ""),
        Error::BadMagic { .. } => ("BadMagic", ""),
        Error::BadCrc { .. } => ("BadCrc", ""),
        Error::UnsupportedVersion { .. } => ("UnsupportedVersion", ""),
        Error::UnknownFlags { .. } => ("UnknownFlags", ""),
        Error::UnknownKind { field, .. } => ("UnknownKind", field),
        Error::InconsistentShape { .. } => ("InconsistentShape", ""),
        Error::InconsistentLength { field, .. } => ("InconsistentLength", field),
        Error::TrailingBytes { .. } => ("TrailingBytes", ""),
        Error::InvalidParameter { field, .. } => ("InvalidParameter", field),
        Error::NonFinite { field, .. } => ("NonFinite", field),
        Error::KindMismatch { field, .. } => ("KindMismatch", field),
        Error::DimensionMismatch { field, .. } => ("DimensionMismatch", field),
        Error::BufferTooSmall { field, .. } => ("BufferTooSmall", field),
        Error::CodeOutOfRange { .. } => ("CodeOutOfRange", ""),
        _ => ("other", ""),
    }
}

/// Re-encodes a decoded frame from its header and payload.
fn reencode(frame: &Frame<'_>) -> Vec<u8> {
    let h = frame.header();
    let mut out = vec![0u8; encoded_len(h).unwrap()];
    let len = match h.quantizer {
        QuantizerSpec::Unquantized => {
            let mut y = vec![0.0f32; h.m()];
            frame.values(&mut y).unwrap();
            encode_values(h, &y, &mut out).unwrap()
        }
        _ => {
            let mut codes = vec![0u16; h.m()];
            frame.unpack_codes(&mut codes).unwrap();
            encode_codes(h, &codes, &mut out).unwrap()
        }
    };
    assert_eq!(len, out.len());
    out
}

/// Encodes `codes` under `header` into a fresh vector.
fn encode(header: &FrameHeader<'_>, codes: &[u16]) -> Vec<u8> {
    let mut out = vec![0u8; encoded_len(header).unwrap()];
    let len = encode_codes(header, codes, &mut out).unwrap();
    assert_eq!(len, out.len());
    out
}

/// `bytes` with its CRC recomputed (to reach the field checks behind the CRC).
fn fix_crc(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len();
    let crc = crc32(&bytes[..n - 4]);
    bytes[n - 4..].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// `bytes` with `value` written at `at`, CRC recomputed.
fn patched(bytes: &[u8], at: usize, value: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at..at + value.len()].copy_from_slice(value);
    fix_crc(b)
}

/// A one-bit 28×28 image frame measured from a real signal with a seeded Gaussian operator.
fn one_bit_frame() -> (Vec<u8>, Vec<u16>) {
    let op = SeededGaussian::new(2024, 200, 784, Scaling::PerMeasurement).unwrap();
    let x: Vec<f32> = (0..784).map(|i| ((i * 37) % 101) as f32 / 100.0).collect();
    let q = UniformQuantizer::sign();
    let (mut y, mut codes) = (vec![0.0; 200], vec![0u16; 200]);
    let mut noise = rng::stream_rng(9, 0);
    sensor::measure(&op, &x, 0.05, &mut noise, &q, &mut y, &mut codes, &mut []).unwrap();
    let shape = SignalShape::image(28, 28, 1).unwrap();
    let h = FrameHeader::for_measurement(shape, &op, q.into(), 0.05, 17).unwrap();
    (encode(&h, &codes), codes)
}

/// A 3-bit frame with a structured operator: 37 codes × 3 bits leave one padding bit.
fn three_bit_frame() -> Vec<u8> {
    let op = Structured::new(5, 37, 100, Scaling::UnitRows).unwrap();
    let q = UniformQuantizer::new(3, 0.25).unwrap();
    let h = FrameHeader::for_measurement(SignalShape::vector(100), &op, q.into(), 0.01, 0).unwrap();
    let codes: Vec<u16> = (0..37).map(|i| (i * 5 % 8) as u16).collect();
    encode(&h, &codes)
}

const THRESHOLDS: [f32; 3] = [-0.5, 0.0, 0.75];
const CODEWORDS: [f32; 4] = [-1.0, -0.25, 0.375, 1.5];

/// A 2-bit threshold-quantizer frame (dense operator, not included).
fn threshold_frame() -> Vec<u8> {
    let h = FrameHeader {
        signal: SignalShape::image(8, 8, 1).unwrap(),
        measurements: 50,
        quantizer: QuantizerSpec::Thresholds {
            bits: 2,
            thresholds: Floats::new(&THRESHOLDS),
            codewords: Floats::new(&CODEWORDS),
        },
        sigma: 0.1,
        operator: OperatorSpec {
            kind: OperatorKind::Dense,
            seed: 99,
            scaling: Scaling::PerMeasurement,
        },
        counter: 3,
    };
    let codes: Vec<u16> = (0..50).map(|i| (i % 4) as u16).collect();
    encode(&h, &codes)
}

/// An unquantized frame of 9 linear measurements.
fn linear_frame() -> Vec<u8> {
    let h = FrameHeader {
        signal: SignalShape::vector(16),
        measurements: 9,
        quantizer: QuantizerSpec::Unquantized,
        sigma: 0.2,
        operator: OperatorSpec {
            kind: OperatorKind::Structured,
            seed: 31337,
            scaling: Scaling::Unit,
        },
        counter: 2,
    };
    let y: Vec<f32> = (0..9).map(|i| i as f32 * 0.5 - 2.0).collect();
    let mut out = vec![0u8; encoded_len(&h).unwrap()];
    encode_values(&h, &y, &mut out).unwrap();
    out
}

fn real_frames() -> Vec<Vec<u8>> {
    vec![
        one_bit_frame().0,
        three_bit_frame(),
        threshold_frame(),
        linear_frame(),
    ]
}

// ---------------------------------------------------------------------------------------
// Round trips

#[test]
fn one_bit_seeded_gaussian_round_trip_rebuilds_operator_and_codes() {
    let (bytes, codes) = one_bit_frame();
    // 56-byte header, 25 bytes of codes, CRC.
    assert_eq!(bytes.len(), 56 + 25 + 4);
    let frame = decode(&bytes).unwrap();
    let h = *frame.header();
    assert_eq!(h.signal, SignalShape::image(28, 28, 1).unwrap());
    assert!(h.signal.is_image());
    assert_eq!((h.m(), h.n(), h.counter, h.sigma), (200, 784, 17, 0.05));
    assert_eq!(h.quantizer, QuantizerSpec::sign());
    assert_eq!(
        h.operator,
        OperatorSpec {
            kind: OperatorKind::SeededGaussian,
            seed: 2024,
            scaling: Scaling::PerMeasurement
        }
    );
    let mut back = vec![0u16; 200];
    frame.unpack_codes(&mut back).unwrap();
    assert_eq!(back, codes);
    // The receiver rebuilds the operator and quantizer and gets the sender's objects.
    let op = frame.operator().unwrap();
    let original = SeededGaussian::new(2024, 200, 784, Scaling::PerMeasurement).unwrap();
    assert_eq!(op, FrameOperator::SeededGaussian(original));
    let q = frame.quantizer(&mut []).unwrap();
    assert_eq!((q.levels(), q.bits()), (2, 1));
    assert_eq!(q.codeword(0).unwrap(), -1.0);
    assert_eq!(q.interval(1).unwrap(), (0.0, f32::INFINITY));
    // Measuring again with the rebuilt objects reproduces the codes bit for bit.
    let x: Vec<f32> = (0..784).map(|i| ((i * 37) % 101) as f32 / 100.0).collect();
    let (mut y, mut again) = (vec![0.0; 200], vec![0u16; 200]);
    let mut noise = rng::stream_rng(9, 0);
    sensor::measure(
        &op,
        &x,
        h.sigma,
        &mut noise,
        &q,
        &mut y,
        &mut again,
        &mut [],
    )
    .unwrap();
    assert_eq!(again, codes);
    assert_eq!(frame.as_bytes(), &bytes[..]);
    assert_eq!(frame.crc(), crc32(&bytes[..bytes.len() - 4]));
    assert_eq!(frame.payload().len(), 25);
    assert_eq!(reencode(&frame), bytes);
}

#[test]
fn multi_bit_structured_round_trip_for_every_bit_width_and_scaling() {
    let scalings = [Scaling::PerMeasurement, Scaling::Unit, Scaling::UnitRows];
    for bits in 1..=16u8 {
        for (s, &scaling) in scalings.iter().enumerate() {
            let m = 1 + (bits as usize * 7 + s) % 40;
            let op = Structured::new(u64::from(bits) << 40 | 3, m, 40, scaling).unwrap();
            let q = UniformQuantizer::new(bits, 0.125).unwrap();
            let h = FrameHeader::for_measurement(
                SignalShape::image(5, 4, 2).unwrap(),
                &op,
                q.into(),
                0.0,
                u32::from(bits),
            )
            .unwrap();
            let levels = 1u32 << bits;
            let codes: Vec<u16> = (0..m as u32)
                .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(i >> 1) % levels) as u16)
                .collect();
            let bytes = encode(&h, &codes);
            assert_eq!(bytes.len(), 56 + (m * bits as usize).div_ceil(8) + 4);
            let frame = decode(&bytes).unwrap();
            assert_eq!(*frame.header(), h);
            let mut back = vec![0u16; m];
            frame.unpack_codes(&mut back).unwrap();
            assert_eq!(back, codes, "bits={bits}");
            assert_eq!(frame.operator().unwrap(), FrameOperator::Structured(op));
            let fq = frame.quantizer(&mut []).unwrap();
            assert_eq!(fq.bits(), bits);
            assert_eq!(fq.interval(1).unwrap(), q.interval(1).unwrap());
            assert_eq!(reencode(&frame), bytes);
        }
    }
}

#[test]
fn threshold_quantizer_round_trip_rebuilds_the_quantizer() {
    let bytes = threshold_frame();
    assert_eq!(bytes.len(), 56 + 4 * 7 + 13 + 4);
    let frame = decode(&bytes).unwrap();
    let h = frame.header();
    assert_eq!(h.operator.kind, OperatorKind::Dense);
    assert_eq!(h.operator.seed, 99);
    match h.quantizer {
        QuantizerSpec::Thresholds {
            bits,
            thresholds,
            codewords,
        } => {
            assert_eq!(bits, 2);
            assert_eq!(thresholds, Floats::new(&THRESHOLDS));
            assert_eq!(codewords.iter().collect::<Vec<_>>(), CODEWORDS.to_vec());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.quantizer.storage_len(), 7);
    let mut storage = [0.0f32; 7];
    let q = frame.quantizer(&mut storage).unwrap();
    let reference = ThresholdQuantizer::new(&THRESHOLDS, &CODEWORDS).unwrap();
    for code in 0..4u16 {
        assert_eq!(q.interval(code).unwrap(), reference.interval(code).unwrap());
        assert_eq!(q.codeword(code).unwrap(), reference.codeword(code).unwrap());
    }
    assert_eq!(q.encode(0.1).unwrap(), 2);
    // Spec from a ThresholdQuantizer gives the same header.
    assert_eq!(
        QuantizerSpec::thresholds(&reference).unwrap(),
        h.quantizer,
        "spec from quantizer"
    );
    // Too little storage, and the dense operator that is not in the frame.
    assert!(matches!(
        frame.quantizer(&mut storage[..6]),
        Err(Error::BufferTooSmall {
            field: "storage",
            needed: 7,
            available: 6
        })
    ));
    assert!(matches!(
        frame.operator(),
        Err(Error::KindMismatch {
            field: "operator",
            ..
        })
    ));
    let mut codes = vec![0u16; 50];
    frame.unpack_codes(&mut codes).unwrap();
    assert_eq!(codes, (0..50).map(|i| (i % 4) as u16).collect::<Vec<_>>());
    assert!(matches!(
        frame.values(&mut [0.0; 50]),
        Err(Error::KindMismatch { .. })
    ));
    assert_eq!(reencode(&frame), bytes);
}

#[test]
fn unquantized_round_trip_keeps_every_bit() {
    let bytes = linear_frame();
    assert_eq!(bytes.len(), 56 + 36 + 4);
    let frame = decode(&bytes).unwrap();
    let mut y = [0.0f32; 9];
    frame.values(&mut y).unwrap();
    for (i, v) in y.iter().enumerate() {
        assert_eq!(v.to_bits(), (i as f32 * 0.5 - 2.0).to_bits());
    }
    assert!(matches!(
        frame.unpack_codes(&mut [0; 9]),
        Err(Error::KindMismatch { .. })
    ));
    assert!(matches!(
        frame.quantizer(&mut []),
        Err(Error::KindMismatch { .. })
    ));
    assert!(matches!(
        frame.values(&mut [0.0; 8]),
        Err(Error::DimensionMismatch { field: "y", .. })
    ));
    let op = frame.operator().unwrap();
    assert_eq!(
        op,
        FrameOperator::Structured(Structured::new(31337, 9, 16, Scaling::Unit).unwrap())
    );
    assert_eq!(op.scratch_len(), 16);
    assert_eq!(reencode(&frame), bytes);
    // Linear measurements of a real signal through the frame operator match the original.
    let x: Vec<f32> = (0..16).map(|i| i as f32 / 16.0).collect();
    let (mut a, mut b) = ([0.0f32; 9], [0.0f32; 9]);
    let mut scratch = [0.0f32; 16];
    op.forward(&x, &mut a, &mut scratch).unwrap();
    Structured::new(31337, 9, 16, Scaling::Unit)
        .unwrap()
        .forward(&x, &mut b, &mut scratch)
        .unwrap();
    assert_eq!(a, b);
}

#[test]
fn crc_is_zlib_crc32() {
    // The CRC-32/ISO-HDLC check value, as zlib.crc32(b"123456789") gives it.
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
}

// ---------------------------------------------------------------------------------------
// Decoder errors on corrupted real frames

#[test]
fn truncation_at_every_length_reports_needed_and_available() {
    for bytes in real_frames() {
        let total = bytes.len();
        for len in 0..total {
            let err = decode(&bytes[..len]).unwrap_err();
            let needed = if len < PREFIX_LEN { PREFIX_LEN } else { total };
            assert_eq!(
                err,
                Error::Truncated {
                    needed,
                    available: len
                },
                "len {len}"
            );
        }
        assert!(decode(&bytes).is_ok());
        assert_eq!(peek_len(&bytes[..PREFIX_LEN]).unwrap(), total);
        assert!(matches!(
            peek_len(&bytes[..PREFIX_LEN - 1]),
            Err(Error::Truncated { needed: 12, .. })
        ));
    }
}

#[test]
fn every_single_byte_change_is_rejected() {
    for bytes in real_frames() {
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xFF] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                assert!(decode(&b).is_err(), "byte {i} ^ {flip:#x} accepted");
            }
        }
    }
}

#[test]
fn trailing_bytes_bad_magic_version_flags_and_crc() {
    let (bytes, _) = one_bit_frame();
    let total = bytes.len();
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        decode(&longer).unwrap_err(),
        Error::TrailingBytes {
            frame_len: total,
            available: total + 1
        }
    );
    let mut magic = bytes.clone();
    magic[3] = b'X';
    assert_eq!(
        decode(&magic).unwrap_err(),
        Error::BadMagic { found: *b"QCSX" }
    );
    assert_eq!(
        decode(&patched(&bytes, 4, &2u16.to_le_bytes())).unwrap_err(),
        Error::UnsupportedVersion {
            found: 2,
            supported: VERSION
        }
    );
    assert_eq!(
        decode(&patched(&bytes, 4, &0u16.to_le_bytes())).unwrap_err(),
        Error::UnsupportedVersion {
            found: 0,
            supported: 1
        }
    );
    assert_eq!(
        decode(&patched(&bytes, 6, &0x8000u16.to_le_bytes())).unwrap_err(),
        Error::UnknownFlags { flags: 0x8000 }
    );
    let good = crc32(&bytes[..total - 4]);
    let mut crc = bytes.clone();
    crc[total - 2] ^= 0x10;
    let stored = u32::from_le_bytes(crc[total - 4..].try_into().unwrap());
    assert_eq!(stored, good ^ 0x0010_0000);
    assert_eq!(
        decode(&crc).unwrap_err(),
        Error::BadCrc {
            expected: good,
            found: stored
        }
    );
    // A flipped code bit: the CRC of the changed contents is reported as expected.
    let mut body = bytes.clone();
    body[HEADER_LEN + 3] ^= 0x04;
    assert_eq!(
        decode(&body).unwrap_err(),
        Error::BadCrc {
            expected: crc32(&body[..total - 4]),
            found: good
        }
    );
    // frame_len out of range, or disagreeing with the buffer.
    for (len, err) in [
        (
            59u32,
            Error::InvalidParameter {
                field: "frame_len",
                value: 59.0,
                expected: "60 ..= 67633208 bytes",
            },
        ),
        (
            u32::MAX,
            Error::InvalidParameter {
                field: "frame_len",
                value: u32::MAX as f64,
                expected: "60 ..= 67633208 bytes",
            },
        ),
        (
            total as u32 + 1,
            Error::Truncated {
                needed: total + 1,
                available: total,
            },
        ),
        (
            total as u32 - 1,
            Error::TrailingBytes {
                frame_len: total - 1,
                available: total,
            },
        ),
    ] {
        let mut b = bytes.clone();
        b[8..12].copy_from_slice(&len.to_le_bytes());
        assert_eq!(decode(&b).unwrap_err(), err, "frame_len {len}");
    }
    assert_eq!(MAX_FRAME_LEN, 67_633_208);
}

#[test]
fn kinds_round_trip_through_code_and_name() {
    for (i, kind) in OperatorKind::ALL.into_iter().enumerate() {
        assert_eq!(kind.code(), i as u8 + 1);
        assert_eq!(OperatorKind::from_code(kind.code()), Ok(kind));
        assert_eq!(OperatorKind::from_name(kind.name()), Ok(kind));
        assert_eq!(kind.name().parse::<OperatorKind>(), Ok(kind));
        assert_eq!(kind.to_string(), kind.name());
        assert!(!kind.summary().is_empty() && !kind.summary().contains('\n'));
        assert!(OperatorKind::NAMES.contains(kind.name()));
    }
    let names: Vec<_> = OperatorKind::ALL.map(OperatorKind::name).into();
    assert_eq!(names, ["seeded", "structured", "dense"]);
    assert!(OperatorKind::SeededGaussian.is_regenerable());
    assert!(!OperatorKind::Dense.is_regenerable());
    for (i, kind) in QuantizerKind::ALL.into_iter().enumerate() {
        assert_eq!(kind.code(), i as u8 + 1);
        assert_eq!(QuantizerKind::from_code(kind.code()), Ok(kind));
        assert_eq!(QuantizerKind::from_name(kind.name()), Ok(kind));
        assert_eq!(kind.name().parse::<QuantizerKind>(), Ok(kind));
        assert!(!kind.summary().is_empty() && !kind.summary().contains('\n'));
        assert!(QuantizerKind::NAMES.contains(kind.name()));
    }
    let names: Vec<_> = QuantizerKind::ALL.map(QuantizerKind::name).into();
    assert_eq!(names, ["uniform", "thresholds", "unquantized"]);
    assert_eq!(QuantizerSpec::sign().kind(), QuantizerKind::Uniform);
    assert_eq!(
        QuantizerSpec::Unquantized.kind(),
        QuantizerKind::Unquantized
    );
    assert!(!QuantizerKind::Unquantized.is_quantized());
    for bad in ["", "Seeded", "gaussian", "seeded "] {
        assert_eq!(
            OperatorKind::from_name(bad),
            Err(Error::UnknownName {
                field: "operator",
                expected: "seeded, structured, dense"
            })
        );
    }
    assert_eq!(
        QuantizerKind::from_name("sign"),
        Err(Error::UnknownName {
            field: "quantizer",
            expected: "uniform, thresholds, unquantized"
        })
    );
    assert_eq!(
        QuantizerKind::from_code(0),
        Err(Error::UnknownKind {
            field: "quantizer",
            code: 0
        })
    );
}

#[test]
fn unknown_kinds_are_rejected() {
    let (bytes, _) = one_bit_frame();
    for code in [0u8, 4, 255] {
        assert_eq!(
            decode(&patched(&bytes, 48, &[code])).unwrap_err(),
            Error::UnknownKind {
                field: "operator",
                code
            }
        );
        assert_eq!(
            decode(&patched(&bytes, 50, &[code])).unwrap_err(),
            Error::UnknownKind {
                field: "quantizer",
                code
            }
        );
    }
    assert_eq!(
        decode(&patched(&bytes, 49, &[3])).unwrap_err(),
        Error::UnknownKind {
            field: "scaling",
            code: 3
        }
    );
}

#[test]
fn inconsistent_sizes_are_rejected() {
    let (bytes, _) = one_bit_frame();
    // h·w·c ≠ N, and a partly zero shape.
    assert_eq!(
        decode(&patched(&bytes, 24, &27u32.to_le_bytes())).unwrap_err(),
        Error::InconsistentShape {
            n: 784,
            height: 28,
            width: 27,
            channels: 1
        }
    );
    assert_eq!(
        decode(&patched(&bytes, 28, &0u32.to_le_bytes())).unwrap_err(),
        Error::InconsistentShape {
            n: 784,
            height: 28,
            width: 28,
            channels: 0
        }
    );
    // h·w·c overflowing 32 bits does not wrap around to N.
    let mut wrap = bytes.clone();
    wrap[16..20].copy_from_slice(&(1u32 << 24).to_le_bytes());
    wrap[20..24].copy_from_slice(&(1u32 << 16).to_le_bytes());
    wrap[24..28].copy_from_slice(&(1u32 << 16).to_le_bytes());
    wrap[28..32].copy_from_slice(&(1u32 << 8).to_le_bytes());
    assert!(matches!(
        decode(&fix_crc(wrap)).unwrap_err(),
        Error::InconsistentShape { .. }
    ));
    // A product beyond 64 bits (found by the mutation property test).
    let mut huge = bytes.clone();
    huge[20..32].copy_from_slice(&[0xFF; 12]);
    assert!(matches!(
        decode(&fix_crc(huge)).unwrap_err(),
        Error::InconsistentShape { .. }
    ));
    assert!(matches!(
        SignalShape::image(u32::MAX, u32::MAX, u32::MAX),
        Err(Error::InvalidParameter { field: "n", .. })
    ));
    // M that does not match the code section: 300 one-bit codes need 38 bytes, not 25.
    assert_eq!(
        decode(&patched(&bytes, 32, &300u32.to_le_bytes())).unwrap_err(),
        Error::InconsistentLength {
            field: "frame_len",
            expected: 56 + 38 + 4,
            found: 85
        }
    );
    // A wider code than the section holds.
    let three = three_bit_frame();
    assert_eq!(
        decode(&patched(&three, 51, &[4])).unwrap_err(),
        Error::InconsistentLength {
            field: "frame_len",
            expected: 56 + 19 + 4,
            found: 56 + 14 + 4
        }
    );
    // The same frame re-labelled as thresholds: the table is missing.
    let relabel = patched(&three, 50, &[2]);
    let relabel = patched(&relabel, 52, &[0; 4]);
    assert_eq!(
        decode(&relabel).unwrap_err(),
        Error::InconsistentLength {
            field: "frame_len",
            expected: 56 + 4 * 15 + 14 + 4,
            found: 74
        }
    );
}

#[test]
fn out_of_range_fields_are_rejected() {
    let (bytes, _) = one_bit_frame();
    let three = three_bit_frame();
    let thr = threshold_frame();
    let lin = linear_frame();
    let invalid = |b: Vec<u8>| match decode(&b).unwrap_err() {
        Error::InvalidParameter { field, value, .. } => (field, value),
        other => panic!("{other:?}"),
    };
    assert_eq!(invalid(patched(&three, 51, &[0])), ("bits", 0.0));
    assert_eq!(invalid(patched(&three, 51, &[17])), ("bits", 17.0));
    assert_eq!(invalid(patched(&lin, 51, &[1])), ("bits", 1.0));
    assert_eq!(
        invalid(patched(&thr, 52, &1.0f32.to_le_bytes())),
        ("delta", 1.0)
    );
    assert_eq!(invalid(patched(&lin, 55, &[0x80])).0, "delta");
    assert_eq!(
        invalid(patched(&bytes, 16, &0u32.to_le_bytes())),
        ("n", 0.0)
    );
    let big = MAX_N + 1;
    let mut too_big = bytes.clone();
    too_big[16..20].copy_from_slice(&big.to_le_bytes());
    too_big[20..32].copy_from_slice(&[0; 12]);
    assert_eq!(invalid(fix_crc(too_big)), ("n", f64::from(big)));
    assert_eq!(
        invalid(patched(&bytes, 32, &0u32.to_le_bytes())),
        ("m", 0.0)
    );
    assert_eq!(
        invalid(patched(&bytes, 32, &(MAX_M + 1).to_le_bytes())),
        ("m", f64::from(MAX_M + 1))
    );
    assert_eq!(
        invalid(patched(&bytes, 36, &(-0.05f32).to_le_bytes())),
        ("sigma", -0.05f32 as f64)
    );
    assert_eq!(
        invalid(patched(&bytes, 36, &f32::NAN.to_le_bytes())).0,
        "sigma"
    );
    assert_eq!(
        invalid(patched(&bytes, 36, &f32::INFINITY.to_le_bytes())).0,
        "sigma"
    );
    // −0.0 is a valid σ (= 0).
    assert!(decode(&patched(&bytes, 36, &(-0.0f32).to_le_bytes())).is_ok());
    // Structured operator with M > N.
    assert_eq!(
        invalid(patched(&three, 16, &36u32.to_le_bytes())),
        ("m", 37.0)
    );
    // Δ ≤ 0, NaN, subnormal, or (2^Q − 1)·Δ overflowing.
    for delta in [
        0.0f32,
        -0.25,
        f32::NAN,
        f32::from_bits(1),
        3e38,
        f32::INFINITY,
    ] {
        assert_eq!(
            invalid(patched(&three, 52, &delta.to_le_bytes())).0,
            "delta",
            "{delta}"
        );
    }
    // Thresholds not increasing; a codeword outside its bin; non-finite entries.
    assert_eq!(
        invalid(patched(&thr, 60, &(-0.5f32).to_le_bytes())),
        ("thresholds", -0.5)
    );
    assert_eq!(
        invalid(patched(&thr, 64, &(-1.0f32).to_le_bytes())),
        ("thresholds", -1.0)
    );
    assert_eq!(
        invalid(patched(&thr, 72, &0.5f32.to_le_bytes())),
        ("codewords", 0.5)
    );
    assert_eq!(
        decode(&patched(&thr, 64, &f32::NAN.to_le_bytes())).unwrap_err(),
        Error::NonFinite {
            field: "thresholds",
            index: 2
        }
    );
    assert_eq!(
        decode(&patched(&thr, 80, &f32::INFINITY.to_le_bytes())).unwrap_err(),
        Error::NonFinite {
            field: "codewords",
            index: 3
        }
    );
    // A set padding bit after the last code (37 × 3 = 111 bits: one pad bit).
    let n = three.len();
    let mut pad = three.clone();
    pad[n - 5] |= 1;
    assert_eq!(invalid(fix_crc(pad)).0, "codes");
    // A non-finite linear measurement.
    assert_eq!(
        decode(&patched(&lin, 56 + 4 * 5, &f32::NEG_INFINITY.to_le_bytes())).unwrap_err(),
        Error::NonFinite {
            field: "values",
            index: 5
        }
    );
}

// ---------------------------------------------------------------------------------------
// Encoder and header checks

#[test]
fn encoder_rejects_bad_arguments_without_writing() {
    let op = SeededGaussian::new(1, 10, 12, Scaling::Unit).unwrap();
    let h = FrameHeader::for_measurement(
        SignalShape::vector(12),
        &op,
        QuantizerSpec::Uniform {
            bits: 2,
            delta: 0.5,
        },
        0.1,
        0,
    )
    .unwrap();
    let len = encoded_len(&h).unwrap();
    assert_eq!(len, 56 + 3 + 4);
    let codes = [3u16; 10];
    let mut out = vec![0xAAu8; len + 5];
    let check_untouched = |out: &[u8]| assert!(out.iter().all(|&b| b == 0xAA));
    assert!(matches!(
        encode_codes(&h, &codes[..9], &mut out),
        Err(Error::DimensionMismatch {
            field: "codes",
            expected: 10,
            found: 9
        })
    ));
    check_untouched(&out);
    let mut bad = codes;
    bad[4] = 4;
    assert_eq!(
        encode_codes(&h, &bad, &mut out),
        Err(Error::CodeOutOfRange { code: 4, levels: 4 })
    );
    check_untouched(&out);
    assert_eq!(
        encode_codes(&h, &codes, &mut out[..len - 1]),
        Err(Error::BufferTooSmall {
            field: "out",
            needed: len,
            available: len - 1
        })
    );
    check_untouched(&out);
    assert!(matches!(
        encode_values(&h, &[0.0; 10], &mut out),
        Err(Error::KindMismatch { .. })
    ));
    check_untouched(&out);
    // Bytes after the frame are left alone.
    assert_eq!(encode_codes(&h, &codes, &mut out).unwrap(), len);
    assert!(out[len..].iter().all(|&b| b == 0xAA));
    assert!(decode(&out[..len]).is_ok());

    let lin = FrameHeader {
        quantizer: QuantizerSpec::Unquantized,
        ..h
    };
    let mut out = vec![0u8; encoded_len(&lin).unwrap()];
    assert!(matches!(
        encode_codes(&lin, &codes, &mut out),
        Err(Error::KindMismatch { .. })
    ));
    let mut y = [1.0f32; 10];
    y[7] = f32::NAN;
    assert_eq!(
        encode_values(&lin, &y, &mut out),
        Err(Error::NonFinite {
            field: "y",
            index: 7
        })
    );
    assert!(matches!(
        encode_values(&lin, &y[..3], &mut out),
        Err(Error::DimensionMismatch { field: "y", .. })
    ));
}

#[test]
fn header_validation_names_the_field() {
    let base = FrameHeader {
        signal: SignalShape::vector(20),
        measurements: 8,
        quantizer: QuantizerSpec::sign(),
        sigma: 0.0,
        operator: OperatorSpec {
            kind: OperatorKind::SeededGaussian,
            seed: 0,
            scaling: Scaling::PerMeasurement,
        },
        counter: 0,
    };
    assert!(base.validate().is_ok());
    let field = |h: FrameHeader<'_>| error_name(&h.validate().unwrap_err());
    assert_eq!(
        field(FrameHeader {
            signal: SignalShape {
                n: 20,
                height: 4,
                width: 4,
                channels: 1
            },
            ..base
        }),
        ("InconsistentShape", "")
    );
    assert_eq!(
        field(FrameHeader {
            signal: SignalShape::vector(0),
            ..base
        }),
        ("InvalidParameter", "n")
    );
    assert_eq!(
        field(FrameHeader {
            measurements: 0,
            ..base
        }),
        ("InvalidParameter", "m")
    );
    assert_eq!(
        field(FrameHeader {
            sigma: -1.0,
            ..base
        }),
        ("InvalidParameter", "sigma")
    );
    for (bits, delta, name) in [(0u8, 1.0f32, "bits"), (17, 1.0, "bits"), (4, 0.0, "delta")] {
        assert_eq!(
            field(FrameHeader {
                quantizer: QuantizerSpec::Uniform { bits, delta },
                ..base
            }),
            ("InvalidParameter", name)
        );
    }
    let unsorted = [0.5f32, 0.0, 1.0];
    assert_eq!(
        field(FrameHeader {
            quantizer: QuantizerSpec::Thresholds {
                bits: 2,
                thresholds: Floats::new(&unsorted),
                codewords: Floats::new(&CODEWORDS),
            },
            ..base
        }),
        ("InvalidParameter", "thresholds")
    );
    assert_eq!(
        field(FrameHeader {
            quantizer: QuantizerSpec::Thresholds {
                bits: 3,
                thresholds: Floats::new(&THRESHOLDS),
                codewords: Floats::new(&CODEWORDS),
            },
            ..base
        }),
        ("DimensionMismatch", "thresholds")
    );
    assert!(matches!(
        SignalShape::image(0, 28, 1),
        Err(Error::InconsistentShape { .. })
    ));
    assert!(matches!(
        SignalShape::image(4096, 4096, 3),
        Err(Error::InvalidParameter { field: "n", .. })
    ));
    // A threshold quantizer whose level count is not a power of two does not fit a frame.
    let three = ThresholdQuantizer::new(&[0.0, 1.0], &[-1.0, 0.5, 2.0]).unwrap();
    assert_eq!(
        QuantizerSpec::thresholds(&three),
        Err(Error::InvalidParameter {
            field: "thresholds",
            value: 3.0,
            expected: "2^Q levels (2^Q - 1 thresholds) to fit a frame"
        })
    );
    // for_measurement checks the operator's N against the signal.
    let op = SeededGaussian::new(1, 4, 10, Scaling::Unit).unwrap();
    assert!(matches!(
        FrameHeader::for_measurement(SignalShape::vector(11), &op, QuantizerSpec::sign(), 0.0, 0),
        Err(Error::DimensionMismatch {
            field: "operator",
            ..
        })
    ));
    let s = format!(
        "{}",
        Error::BadCrc {
            expected: 0xCBF4_3926,
            found: 1
        }
    );
    assert!(s.contains("0xcbf43926"), "{s}");
}

// ---------------------------------------------------------------------------------------
// Known-answer frames from the independent Python implementation

/// A parsed `frame_<name>.txt`: `key value ...` lines, floats as hex f32 bits.
struct Description {
    fields: HashMap<String, Vec<String>>,
    thresholds: Vec<f32>,
    codewords: Vec<f32>,
}

impl Description {
    fn read(name: &str) -> Self {
        let text = std::fs::read_to_string(common::data_path(&format!("frame_{name}.txt")))
            .expect("description");
        let fields: HashMap<String, Vec<String>> = text
            .lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                let key = it.next()?.to_owned();
                Some((key, it.map(str::to_owned).collect()))
            })
            .collect();
        let mut d = Self {
            fields,
            thresholds: vec![],
            codewords: vec![],
        };
        d.thresholds = d.floats("thresholds");
        d.codewords = d.floats("codewords");
        d
    }

    fn int(&self, key: &str) -> u64 {
        self.fields[key][0].parse().unwrap()
    }

    fn floats(&self, key: &str) -> Vec<f32> {
        self.fields
            .get(key)
            .map(|v| {
                v.iter()
                    .map(|s| f32::from_bits(u32::from_str_radix(&s[2..], 16).unwrap()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn header(&self) -> FrameHeader<'_> {
        let bits = self.int("bits") as u8;
        let quantizer = match QuantizerKind::from_code(self.int("quantizer") as u8).unwrap() {
            QuantizerKind::Uniform => QuantizerSpec::Uniform {
                bits,
                delta: self.floats("delta")[0],
            },
            QuantizerKind::Thresholds => QuantizerSpec::Thresholds {
                bits,
                thresholds: Floats::new(&self.thresholds),
                codewords: Floats::new(&self.codewords),
            },
            QuantizerKind::Unquantized => QuantizerSpec::Unquantized,
        };
        FrameHeader {
            signal: SignalShape {
                n: self.int("n") as u32,
                height: self.int("height") as u32,
                width: self.int("width") as u32,
                channels: self.int("channels") as u32,
            },
            measurements: self.int("m") as u32,
            quantizer,
            sigma: self.floats("sigma")[0],
            operator: OperatorSpec {
                kind: OperatorKind::from_code(self.int("operator") as u8).unwrap(),
                seed: self.int("seed"),
                scaling: frame::scaling_from_code(self.int("scaling") as u8).unwrap(),
            },
            counter: self.int("counter") as u32,
        }
    }
}

const KNOWN_ANSWER: [&str; 7] = [
    "example",
    "onebit_image",
    "uniform3_structured",
    "uniform16_rgb",
    "thresholds2_dense",
    "thresholds1",
    "unquantized",
];

#[test]
fn python_known_answer_frames_decode_and_reencode_byte_for_byte() {
    for name in KNOWN_ANSWER {
        let bytes = std::fs::read(common::data_path(&format!("frame_{name}.bin"))).unwrap();
        let d = Description::read(name);
        let expected = d.header();
        let frame = decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(*frame.header(), expected, "{name}");
        let mut out = vec![0u8; encoded_len(&expected).unwrap()];
        if let Some(values) = d.fields.get("values") {
            let y = d.floats("values");
            assert_eq!(y.len(), values.len());
            let mut back = vec![0.0f32; y.len()];
            frame.values(&mut back).unwrap();
            assert_eq!(
                back.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{name}"
            );
            encode_values(&expected, &y, &mut out).unwrap();
        } else {
            let codes: Vec<u16> = d.fields["codes"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect();
            let mut back = vec![0u16; codes.len()];
            frame.unpack_codes(&mut back).unwrap();
            assert_eq!(back, codes, "{name}");
            encode_codes(&expected, &codes, &mut out).unwrap();
        }
        // The Rust encoder, from the description alone, writes the Python bytes.
        assert_eq!(out, bytes, "{name}");
        assert_eq!(reencode(&frame), bytes, "{name}");
    }
}

#[test]
fn python_corrupted_frames_give_the_documented_errors() {
    let (_, rows) = read_manifest();
    assert!(rows.len() >= 30);
    for (file, error, field) in rows {
        let bytes = std::fs::read(common::data_path(&file)).unwrap();
        let err = decode(&bytes).expect_err(&file);
        assert_eq!(
            error_name(&err),
            (error.as_str(), field.as_str()),
            "{file}: {err}"
        );
    }
}

/// `frame_bad.csv`: file, error, field.
fn read_manifest() -> (Vec<String>, Vec<(String, String, String)>) {
    let path = common::data_path("frame_bad.csv");
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let header = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[1].to_owned(), r[2].to_owned())
        })
        .collect();
    (header, rows)
}

// ---------------------------------------------------------------------------------------
// Fuzz corpus regression and property tests

#[test]
fn fuzz_corpus_decodes_without_panicking() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode");
    let mut count = 0;
    let mut ok = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        // Ok or Err, never a panic; an accepted frame re-encodes to the same bytes.
        if let Ok(frame) = decode(&bytes) {
            assert_eq!(reencode(&frame), bytes, "{}", path.display());
            ok += 1;
        }
        count += 1;
    }
    assert!(count >= 20, "corpus has {count} files");
    assert!(ok >= 7, "corpus has {ok} valid frames");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]

    #[test]
    fn decode_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&bytes);
        let _ = peek_len(&bytes);
    }

    #[test]
    fn decode_never_panics_on_random_bytes_behind_a_valid_prefix(
        tail in proptest::collection::vec(any::<u8>(), 48..160),
    ) {
        // A valid prefix and a correct CRC push random contents into the field checks.
        let mut b = Vec::with_capacity(tail.len() + 16);
        b.extend_from_slice(b"QCSF");
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&((tail.len() + 16) as u32).to_le_bytes());
        b.extend_from_slice(&tail);
        b.extend_from_slice(&[0; 4]);
        let b = fix_crc(b);
        if let Ok(frame) = decode(&b) {
            prop_assert_eq!(reencode(&frame), b);
        }
    }

    #[test]
    fn decode_never_panics_on_mutated_frames(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
        recrc in any::<bool>(),
    ) {
        let mut b = real_frames().swap_remove(which);
        for (at, v) in &edits {
            let i = at.index(b.len());
            b[i] = *v;
        }
        if recrc {
            b = fix_crc(b);
        }
        if truncate {
            b.truncate(cut.index(b.len()));
        }
        match decode(&b) {
            // An accepted mutation is a valid frame in its own right.
            Ok(frame) => prop_assert_eq!(reencode(&frame), b),
            Err(e) => {
                let message = e.to_string();
                prop_assert!(!message.is_empty());
            }
        }
    }
}
