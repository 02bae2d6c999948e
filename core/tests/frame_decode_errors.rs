//! Measurement frames: every decoder error on corrupted real frames (truncation, single-byte
//! changes, magic, version, flags, CRC, unknown kinds, inconsistent sizes, out-of-range fields).

mod common;

use common::frames::*;

use qcs_core::frame::{
    crc32, decode, peek_len, OperatorKind, QuantizerKind, QuantizerSpec, SignalShape, HEADER_LEN,
    MAX_FRAME_LEN, MAX_M, MAX_N, PREFIX_LEN, VERSION,
};
use qcs_core::Error;

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
