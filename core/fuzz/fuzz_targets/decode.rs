//! Fuzzes `qcs_core::frame::decode`: it must return `Ok` or `Err` for any input, never panic,
//! and an accepted frame must re-encode to exactly the input bytes.
//!
//! Each input is decoded twice: as given, and with its last four bytes replaced by the CRC-32
//! of the rest, so that mutations reach the field checks behind the CRC.
//!
//! Run (nightly): `cd core/fuzz && cargo +nightly fuzz run decode`; the seed corpus in
//! `corpus/decode/` is also run by the normal test `fuzz_corpus_decodes_without_panicking`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qcs_core::frame::{self, OperatorKind, QuantizerSpec};

fn check(bytes: &[u8]) {
    let _ = frame::peek_len(bytes);
    let Ok(decoded) = frame::decode(bytes) else {
        return;
    };
    let header = decoded.header();
    let len = frame::encoded_len(header).expect("a decoded header is valid");
    assert_eq!(len, bytes.len());
    let mut out = vec![0u8; len];
    match header.quantizer {
        QuantizerSpec::Unquantized => {
            let mut y = vec![0.0f32; header.m()];
            decoded.values(&mut y).expect("values");
            frame::encode_values(header, &y, &mut out).expect("re-encode values");
        }
        _ => {
            let mut codes = vec![0u16; header.m()];
            decoded.unpack_codes(&mut codes).expect("codes");
            frame::encode_codes(header, &codes, &mut out).expect("re-encode codes");
            let mut storage = vec![0.0f32; header.quantizer.storage_len()];
            decoded
                .quantizer(&mut storage)
                .expect("quantizer of a valid frame");
        }
    }
    assert_eq!(out, bytes, "decode/encode is not the identity");
    // A dense matrix is named by its fingerprint (`seed`), never built from the frame.
    let op = decoded.operator();
    if header.operator.kind == OperatorKind::Dense {
        assert!(op.is_err(), "a dense frame built an operator");
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if data.len() >= 4 {
        let mut fixed = data.to_vec();
        let body = fixed.len() - 4;
        let crc = frame::crc32(&fixed[..body]);
        fixed[body..].copy_from_slice(&crc.to_le_bytes());
        check(&fixed);
    }
});
