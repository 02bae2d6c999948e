//! Measurement frames (`qcs_core::frame`, `docs/FRAME_FORMAT.md`): round trips for every
//! quantizer and operator kind, and the CRC.

mod common;

use common::frames::*;

use qcs_core::frame::{
    crc32, decode, Floats, FrameHeader, FrameOperator, OperatorKind, OperatorSpec, QuantizerSpec,
    SignalShape,
};
use qcs_core::operator::{Scaling, SeededGaussian, SensingOperator, Structured};
use qcs_core::quantizer::{Quantizer, ThresholdQuantizer, UniformQuantizer};
use qcs_core::{rng, sensor, Error};

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
