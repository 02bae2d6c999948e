//! Frames the frame tests share: small real frames of every quantizer kind, re-encoding, CRC
//! patching, and the error names `frame_bad.csv` uses.

use qcs_core::frame::{
    crc32, encode_codes, encode_values, encoded_len, Floats, Frame, FrameHeader, OperatorKind,
    OperatorSpec, QuantizerSpec, SignalShape,
};
use qcs_core::operator::{Scaling, SeededGaussian, Structured};
use qcs_core::quantizer::UniformQuantizer;
use qcs_core::{rng, sensor, Error};

/// The variant name and field of an error, as `frame_bad.csv` names them.
pub fn error_name(e: &Error) -> (&'static str, &'static str) {
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
pub fn reencode(frame: &Frame<'_>) -> Vec<u8> {
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
pub fn encode(header: &FrameHeader<'_>, codes: &[u16]) -> Vec<u8> {
    let mut out = vec![0u8; encoded_len(header).unwrap()];
    let len = encode_codes(header, codes, &mut out).unwrap();
    assert_eq!(len, out.len());
    out
}

/// `bytes` with its CRC recomputed (to reach the field checks behind the CRC).
pub fn fix_crc(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len();
    let crc = crc32(&bytes[..n - 4]);
    bytes[n - 4..].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// `bytes` with `value` written at `at`, CRC recomputed.
pub fn patched(bytes: &[u8], at: usize, value: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at..at + value.len()].copy_from_slice(value);
    fix_crc(b)
}

/// A one-bit 28×28 image frame measured from a real signal with a seeded Gaussian operator.
pub fn one_bit_frame() -> (Vec<u8>, Vec<u16>) {
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
pub fn three_bit_frame() -> Vec<u8> {
    let op = Structured::new(5, 37, 100, Scaling::UnitRows).unwrap();
    let q = UniformQuantizer::new(3, 0.25).unwrap();
    let h = FrameHeader::for_measurement(SignalShape::vector(100), &op, q.into(), 0.01, 0).unwrap();
    let codes: Vec<u16> = (0..37).map(|i| (i * 5 % 8) as u16).collect();
    encode(&h, &codes)
}

pub const THRESHOLDS: [f32; 3] = [-0.5, 0.0, 0.75];
pub const CODEWORDS: [f32; 4] = [-1.0, -0.25, 0.375, 1.5];

/// A 2-bit threshold-quantizer frame (dense operator, not included).
pub fn threshold_frame() -> Vec<u8> {
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
pub fn linear_frame() -> Vec<u8> {
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

pub fn real_frames() -> Vec<Vec<u8>> {
    vec![
        one_bit_frame().0,
        three_bit_frame(),
        threshold_frame(),
        linear_frame(),
    ]
}
