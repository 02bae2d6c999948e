//! Measurement frames: the encoder refuses bad arguments without writing, and header validation
//! names the field.

mod common;

use common::frames::*;

use qcs_core::frame::{
    decode, encode_codes, encode_values, encoded_len, Floats, FrameHeader, OperatorKind,
    OperatorSpec, QuantizerSpec, SignalShape,
};
use qcs_core::operator::{Scaling, SeededGaussian};
use qcs_core::quantizer::ThresholdQuantizer;
use qcs_core::Error;

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
