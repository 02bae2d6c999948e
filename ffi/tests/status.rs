//! The exact status code of each kind of bad input, function by function, and the messages.

// Calls the C-ABI functions, which are `unsafe`: each call states its SAFETY argument.
#![allow(unsafe_code)]

use qcs_ffi::*;
use std::ffi::CStr;
use std::ptr;

/// Settings of the firmware's first job at a small size (N = 16, M = 8, one bit).
fn settings() -> QcsSensorSettings {
    QcsSensorSettings {
        n: 16,
        height: 4,
        width: 4,
        channels: 1,
        m: 8,
        operator_kind: QCS_OPERATOR_SEEDED,
        scaling: QCS_SCALING_PER_MEASUREMENT,
        operator_seed: 42,
        quantizer_kind: QCS_QUANTIZER_UNIFORM,
        bits: 1,
        delta: 2.0,
        thresholds: ptr::null(),
        codewords: ptr::null(),
        sigma: 0.05,
        noise_seed: 2026,
        noise_stream: 0,
        counter: 1,
    }
}

fn frame_size(s: &QcsSensorSettings) -> Result<usize, QcsStatus> {
    let mut len = 0;
    // SAFETY: valid pointers.
    match unsafe { qcs_sensor_frame_size(s, &mut len) } {
        QcsStatus::Ok => Ok(len),
        e => Err(e),
    }
}

fn measure(s: &QcsSensorSettings, x: &[f32], work: &mut [u32], out: &mut [u8]) -> QcsStatus {
    let mut len = 0;
    // SAFETY: every pointer is valid for the length passed with it.
    unsafe {
        qcs_sensor_measure(
            s,
            x.as_ptr(),
            x.len(),
            work.as_mut_ptr().cast(),
            4 * work.len(),
            out.as_mut_ptr(),
            out.len(),
            &mut len,
        )
    }
}

#[test]
fn sensor_settings_errors_have_their_codes() {
    assert_eq!(frame_size(&settings()), Ok(61));
    type Change = fn(&mut QcsSensorSettings);
    let cases: [(Change, QcsStatus); 13] = [
        (|s| s.operator_kind = 3, QcsStatus::KindMismatch),
        (|s| s.operator_kind = 0, QcsStatus::UnknownKind),
        (|s| s.operator_kind = 1 << 8 | 1, QcsStatus::UnknownKind),
        (|s| s.scaling = 3, QcsStatus::UnknownKind),
        (|s| s.quantizer_kind = 4, QcsStatus::UnknownKind),
        (|s| s.bits = 0, QcsStatus::InvalidParameter),
        (|s| s.bits = 17, QcsStatus::InvalidParameter),
        (|s| s.delta = 0.0, QcsStatus::InvalidParameter),
        (|s| s.sigma = -1.0, QcsStatus::InvalidParameter),
        (|s| s.m = 0, QcsStatus::InvalidParameter),
        (|s| s.width = 5, QcsStatus::InconsistentShape),
        (
            |s| s.quantizer_kind = QCS_QUANTIZER_THRESHOLDS,
            QcsStatus::NullPointer,
        ),
        (|s| s.n = 1 << 27, QcsStatus::InvalidParameter),
    ];
    for (k, (change, status)) in cases.iter().enumerate() {
        let mut s = settings();
        change(&mut s);
        assert_eq!(frame_size(&s), Err(*status), "case {k}");
    }
    // A threshold table that is not increasing.
    let (t, c) = ([1.0f32], [0.0f32, 0.5]);
    let mut s = settings();
    s.quantizer_kind = QCS_QUANTIZER_THRESHOLDS;
    s.thresholds = t.as_ptr();
    s.codewords = c.as_ptr();
    assert_eq!(frame_size(&s), Err(QcsStatus::InvalidParameter));
    let c = [0.0f32, 1.5];
    s.codewords = c.as_ptr();
    assert_eq!(frame_size(&s), Ok(56 + 12 + 1 + 4));
    // Null pointers.
    let mut len = 0;
    // SAFETY: null is allowed and reported.
    assert_eq!(
        unsafe { qcs_sensor_frame_size(ptr::null(), &mut len) },
        QcsStatus::NullPointer
    );
    // SAFETY: as above.
    assert_eq!(
        unsafe { qcs_sensor_workspace_size(&settings(), ptr::null_mut()) },
        QcsStatus::NullPointer
    );
    // SAFETY: valid pointers.
    assert_eq!(
        unsafe { qcs_sensor_workspace_size(&settings(), &mut len) },
        QcsStatus::Ok
    );
    assert_eq!(len, 48);
    let mut s = settings();
    s.operator_kind = QCS_OPERATOR_STRUCTURED;
    // SAFETY: valid pointers.
    assert_eq!(
        unsafe { qcs_sensor_workspace_size(&s, &mut len) },
        QcsStatus::Ok
    );
    assert_eq!(len, 48 + 64);
}

#[test]
fn sensor_buffer_errors_have_their_codes_and_leave_the_frame_alone() {
    let s = settings();
    let x = [0.5f32; 16];
    let mut work = [0u32; 12];
    let mut out = [0xEEu8; 61];
    assert_eq!(
        measure(&s, &x[..15], &mut work, &mut out),
        QcsStatus::DimensionMismatch
    );
    assert_eq!(
        measure(&s, &x, &mut work[..11], &mut out),
        QcsStatus::BufferTooSmall
    );
    assert_eq!(
        measure(&s, &x, &mut work, &mut out[..60]),
        QcsStatus::BufferTooSmall
    );
    let mut bad = x;
    bad[3] = f32::INFINITY;
    assert_eq!(measure(&s, &bad, &mut work, &mut out), QcsStatus::NonFinite);
    assert!(out.iter().all(|&b| b == 0xEE));
    let mut len = 0;
    // SAFETY: valid pointers except the workspace, one byte off its alignment.
    let st = unsafe {
        qcs_sensor_measure(
            &s,
            x.as_ptr(),
            16,
            work.as_mut_ptr().cast::<u8>().add(1).cast(),
            40,
            out.as_mut_ptr(),
            61,
            &mut len,
        )
    };
    assert_eq!(st, QcsStatus::Misaligned);
    // SAFETY: null `x`.
    let st = unsafe {
        qcs_sensor_measure(
            &s,
            ptr::null(),
            16,
            work.as_mut_ptr().cast(),
            48,
            out.as_mut_ptr(),
            61,
            &mut len,
        )
    };
    assert_eq!(st, QcsStatus::NullPointer);
    assert!(out.iter().all(|&b| b == 0xEE));
    assert_eq!(measure(&s, &x, &mut work, &mut out), QcsStatus::Ok);
    assert_eq!(&out[..4], b"QCSF");
}

#[test]
fn frame_errors_have_their_codes() {
    let s = settings();
    let x = [0.25f32; 16];
    let mut work = [0u32; 12];
    let mut frame = [0u8; 61];
    assert_eq!(measure(&s, &x, &mut work, &mut frame), QcsStatus::Ok);
    let mut info = QcsFrameInfo::default();
    let decode = |bytes: &[u8], info: &mut QcsFrameInfo| {
        // SAFETY: valid pointers.
        unsafe { qcs_frame_decode(bytes.as_ptr(), bytes.len(), info) }
    };
    assert_eq!(decode(&frame, &mut info), QcsStatus::Ok);
    assert_eq!(
        (
            info.frame_len,
            info.counter,
            info.n,
            info.height,
            info.m,
            info.bits,
            info.delta
        ),
        (61, 1, 16, 4, 8, 1, 2.0)
    );
    assert_eq!(
        (info.operator_seed, info.operator_kind, info.quantizer_kind),
        (42, 1, 1)
    );
    assert_eq!((info.payload_offset, info.payload_len), (56, 1));
    assert_eq!(decode(&frame[..11], &mut info), QcsStatus::Truncated);
    assert_eq!(decode(&frame[..60], &mut info), QcsStatus::Truncated);
    let mut longer = frame.to_vec();
    longer.push(0);
    assert_eq!(decode(&longer, &mut info), QcsStatus::TrailingBytes);
    let edits: [(usize, u8, QcsStatus); 5] = [
        (0, b'X', QcsStatus::BadMagic),
        (4, 2, QcsStatus::UnsupportedVersion),
        (6, 1, QcsStatus::UnknownFlags),
        (8, 0, QcsStatus::InvalidParameter),
        (20, 7, QcsStatus::BadCrc),
    ];
    for (at, value, status) in edits {
        let mut bad = frame;
        bad[at] = value;
        assert_eq!(decode(&bad, &mut info), status, "byte {at}");
    }
    let mut len = 0;
    // SAFETY: valid pointers.
    assert_eq!(
        unsafe { qcs_frame_peek_len(frame.as_ptr(), 12, &mut len) },
        QcsStatus::Ok
    );
    assert_eq!(len, 61);
    // SAFETY: valid pointers.
    assert_eq!(
        unsafe { qcs_frame_peek_len(frame.as_ptr(), 11, &mut len) },
        QcsStatus::Truncated
    );
    let mut codes = [0u16; 8];
    // SAFETY: valid pointers.
    unsafe {
        assert_eq!(
            qcs_frame_codes(frame.as_ptr(), 61, codes.as_mut_ptr(), 7),
            QcsStatus::DimensionMismatch
        );
        assert_eq!(
            qcs_frame_codes(frame.as_ptr(), 61, codes.as_mut_ptr(), 8),
            QcsStatus::Ok
        );
        let mut y = [0f32; 8];
        assert_eq!(
            qcs_frame_values(frame.as_ptr(), 61, y.as_mut_ptr(), 8),
            QcsStatus::KindMismatch
        );
        let (mut t, mut c) = ([0f32; 1], [0f32; 2]);
        assert_eq!(
            qcs_frame_threshold_table(frame.as_ptr(), 61, t.as_mut_ptr(), 1, c.as_mut_ptr(), 2),
            QcsStatus::KindMismatch
        );
        assert_eq!(
            qcs_frame_codes(ptr::null(), 61, codes.as_mut_ptr(), 8),
            QcsStatus::NullPointer
        );
        let misaligned = codes.as_mut_ptr().cast::<u8>().add(1).cast::<u16>();
        assert_eq!(
            qcs_frame_codes(frame.as_ptr(), 61, misaligned, 7),
            QcsStatus::Misaligned
        );
    }
}

#[test]
fn quantizer_and_packing_errors_have_their_codes() {
    let values = [-1.0f32, 0.0, 0.3, f32::NAN];
    let mut codes = [9u16; 4];
    let (mut out, mut written) = ([0u8; 4], 0usize);
    let (mut lo, mut hi, mut w) = (0f32, 0f32, 0f32);
    // SAFETY: every pointer is valid for the length passed with it.
    unsafe {
        assert_eq!(
            qcs_uniform_quantize(1, 2.0, values.as_ptr(), 3, codes.as_mut_ptr()),
            QcsStatus::Ok
        );
        assert_eq!(codes[..3], [0, 1, 1]);
        assert_eq!(
            qcs_uniform_quantize(1, 2.0, values.as_ptr(), 4, codes.as_mut_ptr()),
            QcsStatus::NonFinite
        );
        assert_eq!(
            qcs_uniform_quantize(17, 2.0, values.as_ptr(), 3, codes.as_mut_ptr()),
            QcsStatus::InvalidParameter
        );
        assert_eq!(
            qcs_uniform_quantize(3, -1.0, values.as_ptr(), 3, codes.as_mut_ptr()),
            QcsStatus::InvalidParameter
        );
        assert_eq!(
            qcs_uniform_codeword(3, 0.5, 8, &mut w),
            QcsStatus::CodeOutOfRange
        );
        assert_eq!(
            qcs_uniform_codeword(3, 0.5, 1 << 20, &mut w),
            QcsStatus::CodeOutOfRange
        );
        assert_eq!(qcs_uniform_codeword(3, 0.5, 7, &mut w), QcsStatus::Ok);
        assert_eq!(w, 1.75);
        assert_eq!(
            qcs_uniform_interval(1, 2.0, 1, &mut lo, &mut hi),
            QcsStatus::Ok
        );
        assert_eq!((lo, hi), (0.0, f32::INFINITY));
        assert_eq!(
            qcs_uniform_interval(1, 2.0, 1, &mut lo, ptr::null_mut()),
            QcsStatus::NullPointer
        );
        let (t, c) = ([0.0f32, 1.0], [-1.0f32, 0.5, 2.0]);
        assert_eq!(
            qcs_threshold_quantize(
                t.as_ptr(),
                2,
                c.as_ptr(),
                3,
                values.as_ptr(),
                3,
                codes.as_mut_ptr()
            ),
            QcsStatus::Ok
        );
        assert_eq!(codes[..3], [0, 1, 1]);
        assert_eq!(
            qcs_threshold_quantize(
                t.as_ptr(),
                2,
                c.as_ptr(),
                2,
                values.as_ptr(),
                3,
                codes.as_mut_ptr()
            ),
            QcsStatus::DimensionMismatch
        );
        let ok = [1u16, 0, 3, 2];
        assert_eq!(
            qcs_pack_codes(ok.as_ptr(), 4, 2, out.as_mut_ptr(), 1, &mut written),
            QcsStatus::Ok
        );
        assert_eq!((written, out[0]), (1, 0b0100_1110));
        assert_eq!(
            qcs_pack_codes(ok.as_ptr(), 4, 1, out.as_mut_ptr(), 4, &mut written),
            QcsStatus::CodeOutOfRange
        );
        assert_eq!(
            qcs_pack_codes(ok.as_ptr(), 4, 3, out.as_mut_ptr(), 1, &mut written),
            QcsStatus::BufferTooSmall
        );
        assert_eq!(
            qcs_pack_codes(ok.as_ptr(), 4, 0, out.as_mut_ptr(), 4, &mut written),
            QcsStatus::InvalidParameter
        );
        let mut back = [0u16; 4];
        assert_eq!(
            qcs_unpack_codes(out.as_ptr(), 1, 2, back.as_mut_ptr(), 4),
            QcsStatus::Ok
        );
        assert_eq!(back, ok);
        assert_eq!(
            qcs_unpack_codes(out.as_ptr(), 1, 2, back.as_mut_ptr(), 5),
            QcsStatus::BufferTooSmall
        );
        assert_eq!(
            qcs_unpack_codes(out.as_ptr(), 1, 1, back.as_mut_ptr(), 4),
            QcsStatus::InvalidParameter
        );
        let mut n = 0usize;
        assert_eq!(qcs_packed_len(200, 3, &mut n), QcsStatus::Ok);
        assert_eq!(n, 75);
        assert_eq!(
            qcs_packed_len(usize::MAX, 16, &mut n),
            QcsStatus::InvalidParameter
        );
    }
}

#[test]
fn every_status_has_its_own_message() {
    let message = |s: i32| {
        // SAFETY: qcs_status_message returns a static NUL-terminated string.
        unsafe { CStr::from_ptr(qcs_status_message(s)) }
            .to_str()
            .unwrap()
            .to_owned()
    };
    let all: Vec<String> = (0..=18).map(message).collect();
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 19);
    assert_eq!(message(QcsStatus::Ok as i32), "ok");
    assert_eq!(
        message(QcsStatus::BadCrc as i32),
        "the frame's CRC-32 does not match"
    );
    assert_eq!(message(QcsStatus::Internal as i32), "internal error");
    assert_eq!(message(19), "unknown status code");
    assert_eq!(message(-1), "unknown status code");
}
