//! The C-ABI functions driven with arbitrary settings, null and misaligned pointers and
//! buffer lengths: no panic, no write past the length given (guard bytes after every output
//! buffer stay untouched), no output on error, and on success exactly qcs-core's result.
//! Then the exact status code of each kind of bad input.

// Calls the C-ABI functions, which are `unsafe`: each call states its SAFETY argument.
#![allow(unsafe_code)]

use proptest::prelude::*;
use qcs_core::frame::{self, scaling_from_code, FrameHeader, OperatorKind, QuantizerSpec};
use qcs_core::operator::{SeededGaussian, SensingOperator, Structured};
use qcs_core::quantizer::{self, Quantizer, UniformQuantizer};
use qcs_core::rng::stream_rng;
use qcs_core::sensor;
use qcs_ffi::*;
use std::ptr;

const GUARD: u8 = 0xA5;
const GUARD_LEN: usize = 64;

/// A byte buffer of `len` usable bytes followed by guard bytes, starting at a chosen offset
/// from a 4-aligned allocation (to test alignment checks).
struct Guarded {
    words: Vec<u32>,
    offset: usize,
    len: usize,
}

impl Guarded {
    fn new(len: usize, offset: usize, fill: u8) -> Self {
        let words = vec![u32::from_ne_bytes([GUARD; 4]); (offset + len + GUARD_LEN).div_ceil(4)];
        let mut g = Self { words, offset, len };
        g.bytes_mut()[..len].fill(fill);
        g
    }
    fn all(&mut self) -> &mut [u8] {
        let n = self.words.len() * 4;
        // SAFETY: the `u32` words are `n` initialized bytes.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr().cast::<u8>(), n) }
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        let off = self.offset;
        &mut self.all()[off..]
    }
    fn ptr(&mut self) -> *mut u8 {
        self.bytes_mut().as_mut_ptr()
    }
    fn data(&mut self) -> Vec<u8> {
        let len = self.len;
        self.bytes_mut()[..len].to_vec()
    }
    fn guard_intact(&mut self) -> bool {
        let (off, len) = (self.offset, self.len);
        let all = self.all();
        all[..off].iter().all(|&b| b == GUARD) && all[off + len..].iter().all(|&b| b == GUARD)
    }
}

fn settings_strategy() -> impl Strategy<Value = (QcsSensorSettings, bool)> {
    (
        (
            prop_oneof![20 => 1u32..40, 1 => Just(0u32), 1 => Just(u32::MAX), 1 => Just(1 << 27)],
            prop_oneof![8 => 0u32..2, 1 => 2u32..4],
            prop_oneof![20 => 1u32..24, 1 => Just(0u32), 1 => Just(1 << 25)],
            prop_oneof![20 => 1u32..3, 1 => 0u32..6, 1 => Just(256 + 1)],
            prop_oneof![20 => 0u32..3, 1 => 0u32..5],
            any::<u64>(),
        ),
        (
            prop_oneof![10 => 1u32..2, 6 => 2u32..4, 1 => 0u32..6],
            prop_oneof![20 => 1u32..5, 1 => 0u32..20],
            prop_oneof![
                16 => Just(0.5f32),
                1 => Just(2.0f32),
                1 => any::<f32>(),
                1 => Just(f32::NAN),
                1 => Just(0.0f32)
            ],
            prop_oneof![16 => Just(0.05f32), 1 => any::<f32>(), 1 => Just(0.0f32)],
            any::<u64>(),
            any::<u32>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (n, shape, m, op, scaling, seed),
                (qkind, bits, delta, sigma, noise, counter, sorted),
            )| {
                let (height, width, channels) = match shape {
                    0 => (0, 0, 0),
                    1 => (1, n, 1),
                    2 => (n, 1, 2), // inconsistent unless N = 0
                    _ => (0, n, 0), // partly zero
                };
                (
                    QcsSensorSettings {
                        n,
                        height,
                        width,
                        channels,
                        m,
                        operator_kind: op,
                        scaling,
                        operator_seed: seed,
                        quantizer_kind: qkind,
                        bits,
                        delta,
                        thresholds: ptr::null(),
                        codewords: ptr::null(),
                        sigma,
                        noise_seed: noise,
                        noise_stream: u64::from(counter),
                        counter,
                    },
                    sorted,
                )
            },
        )
}

/// A valid threshold table for `bits` (sorted, codewords inside their bins), or garbage.
fn table(bits: u32, sorted: bool) -> (Vec<f32>, Vec<f32>) {
    let levels = 1usize << bits.clamp(1, 16);
    if sorted {
        let t: Vec<f32> = (1..levels)
            .map(|k| k as f32 - levels as f32 / 2.0)
            .collect();
        let c: Vec<f32> = (0..levels)
            .map(|k| k as f32 - levels as f32 / 2.0 - 0.5)
            .collect();
        (t, c)
    } else {
        (vec![1.0; levels - 1], vec![f32::NAN; levels])
    }
}

/// qcs-core's frame for the settings, or `None` when it rejects them.
fn reference(s: &QcsSensorSettings, t: &[f32], c: &[f32], x: &[f32]) -> Option<Vec<u8>> {
    let kind = OperatorKind::from_code(u8::try_from(s.operator_kind).ok()?).ok()?;
    let scaling = scaling_from_code(u8::try_from(s.scaling).ok()?).ok()?;
    let bits = u8::try_from(s.bits).ok();
    let quantizer = match s.quantizer_kind {
        1 => QuantizerSpec::Uniform {
            bits: bits?,
            delta: s.delta,
        },
        2 => {
            let b = bits?;
            if !(1..=16).contains(&b) || t.len() != (1 << b) - 1 {
                return None;
            }
            QuantizerSpec::thresholds(&quantizer::ThresholdQuantizer::new(t, c).ok()?).ok()?
        }
        3 => QuantizerSpec::Unquantized,
        _ => return None,
    };
    let header = FrameHeader {
        signal: frame::SignalShape {
            n: s.n,
            height: s.height,
            width: s.width,
            channels: s.channels,
        },
        measurements: s.m,
        quantizer,
        sigma: s.sigma,
        operator: frame::OperatorSpec {
            kind,
            seed: s.operator_seed,
            scaling,
        },
        counter: s.counter,
    };
    header.validate().ok()?;
    let (n, m) = (header.n(), header.m());
    if x.len() != n {
        return None;
    }
    let mut noise = stream_rng(s.noise_seed, s.noise_stream);
    let (mut y, mut codes) = (vec![0.0; m], vec![0u16; m]);
    let mut out = vec![0u8; header.encoded_len().ok()?];
    macro_rules! go {
        ($op:expr) => {{
            let op = $op;
            let mut scratch = vec![0.0f32; op.scratch_len()];
            match header.quantizer {
                QuantizerSpec::Uniform { bits, delta } => {
                    let q = UniformQuantizer::new(bits, delta).ok()?;
                    sensor::measure(
                        &op,
                        x,
                        s.sigma,
                        &mut noise,
                        &q,
                        &mut y,
                        &mut codes,
                        &mut scratch,
                    )
                    .ok()?;
                    frame::encode_codes(&header, &codes, &mut out).ok()?
                }
                QuantizerSpec::Thresholds { .. } => {
                    let q = quantizer::ThresholdQuantizer::new(t, c).ok()?;
                    sensor::measure(
                        &op,
                        x,
                        s.sigma,
                        &mut noise,
                        &q,
                        &mut y,
                        &mut codes,
                        &mut scratch,
                    )
                    .ok()?;
                    frame::encode_codes(&header, &codes, &mut out).ok()?
                }
                QuantizerSpec::Unquantized => {
                    sensor::measure_linear(&op, x, s.sigma, &mut noise, &mut y, &mut scratch)
                        .ok()?;
                    frame::encode_values(&header, &y, &mut out).ok()?
                }
            }
        }};
    }
    let len = match kind {
        OperatorKind::SeededGaussian => {
            go!(SeededGaussian::new(s.operator_seed, m, n, scaling).ok()?)
        }
        OperatorKind::Structured => go!(Structured::new(s.operator_seed, m, n, scaling).ok()?),
        OperatorKind::Dense => return None,
    };
    out.truncate(len);
    Some(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn sensor_never_writes_past_its_buffers_and_matches_the_core(
        (mut s, sorted) in settings_strategy(),
        x_len_delta in prop_oneof![16 => Just(0i64), 1 => -2i64..3],
        x_nan in prop::bool::weighted(0.05),
        x_null in prop::bool::weighted(0.05),
        work_extra in prop_oneof![8 => 0i64..16, 1 => -8i64..0],
        work_offset in prop_oneof![16 => Just(0usize), 1 => 1usize..4],
        frame_extra in prop_oneof![8 => 0i64..8, 1 => -4i64..0],
        out_null in prop::bool::weighted(0.05),
    ) {
        let (t, c) = table(s.bits, sorted);
        if s.quantizer_kind == 2 {
            s.thresholds = t.as_ptr();
            s.codewords = c.as_ptr();
        }
        // Sizes: ask the library, then perturb.
        let (mut frame_size, mut work_size) = (usize::MAX, usize::MAX);
        // SAFETY: valid settings pointer and out-pointers; threshold pointers are valid tables.
        let st_f = unsafe { qcs_sensor_frame_size(&s, &mut frame_size) };
        // SAFETY: as above.
        let st_w = unsafe { qcs_sensor_workspace_size(&s, &mut work_size) };
        prop_assert_eq!(st_f, st_w);
        if st_f != QcsStatus::Ok {
            prop_assert_eq!((frame_size, work_size), (usize::MAX, usize::MAX));
            frame_size = 100;
            work_size = 100;
        }
        let n = (s.n.min(100_000) as i64 + x_len_delta).max(0) as usize;
        let mut x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
        if x_nan && n > 0 { x[n / 2] = f32::NAN; }
        let work_len = (work_size.min(1 << 20) as i64 + work_extra).max(0) as usize;
        let frame_cap = (frame_size.min(1 << 20) as i64 + frame_extra).max(0) as usize;
        let mut work = Guarded::new(work_len, work_offset, 0x11);
        let mut out = Guarded::new(frame_cap, 0, 0x22);
        let before = out.data();
        let mut frame_len = 12345usize;
        let x_ptr = if x_null { ptr::null() } else { x.as_ptr() };
        let out_ptr = if out_null { ptr::null_mut() } else { out.ptr() };
        // SAFETY: every non-null pointer points to at least the length passed with it.
        let st = unsafe {
            qcs_sensor_measure(&s, x_ptr, x.len(), work.ptr().cast(), work_len, out_ptr, frame_cap, &mut frame_len)
        };
        prop_assert!(work.guard_intact(), "workspace guard overwritten");
        prop_assert!(out.guard_intact(), "frame guard overwritten");
        let expected = if x_null || out_null { None } else { reference(&s, &t, &c, &x) };
        match st {
            QcsStatus::Ok => {
                let expected = expected.expect("the library accepted what the core rejects");
                prop_assert_eq!(frame_len, expected.len());
                prop_assert_eq!(&out.data()[..frame_len], &expected[..]);
                prop_assert!(out.data()[frame_len..].iter().all(|&b| b == 0x22));
            }
            _ => {
                prop_assert_eq!(frame_len, 12345);
                prop_assert_eq!(out.data(), before);
                // A rejection is only for bad input: null, misaligned or short buffers, or
                // settings/x that the core rejects.
                let buffers_ok = !x_null && !out_null && work_offset == 0
                    && work_len >= work_size && frame_cap >= frame_size;
                if buffers_ok {
                    prop_assert!(expected.is_none(), "rejected valid input with {:?}", st);
                }
            }
        }
    }

    #[test]
    fn decoder_never_panics_and_leaves_info_untouched_on_error(
        seed in any::<u64>(),
        m in 1usize..40,
        bits in 1u8..6,
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in prop_oneof![3 => Just(None), 1 => (0usize..200).prop_map(Some)],
        codes_len in 0usize..50,
    ) {
        let op = SeededGaussian::new(seed, m, 9, qcs_core::operator::Scaling::PerMeasurement).unwrap();
        let h = FrameHeader::for_measurement(frame::SignalShape::image(3, 3, 1).unwrap(), &op,
            QuantizerSpec::Uniform { bits, delta: 0.5 }, 0.1, 7).unwrap();
        let codes: Vec<u16> = (0..m).map(|i| (i % (1 << bits)) as u16).collect();
        let mut bytes = vec![0u8; frame::encoded_len(&h).unwrap() + 8];
        let len = frame::encode_codes(&h, &codes, &mut bytes).unwrap();
        for (at, x) in &flips { let k = at % len; bytes[k] ^= x; }
        let len = cut.map_or(len, |c| c.min(bytes.len()));
        let core = frame::decode(&bytes[..len]);
        let mut info = QcsFrameInfo { counter: 99, ..QcsFrameInfo::default() };
        // SAFETY: `bytes` holds at least `len` bytes.
        let st = unsafe { qcs_frame_decode(bytes.as_ptr(), len, &mut info) };
        match &core {
            Ok(f) => {
                prop_assert_eq!(st, QcsStatus::Ok);
                prop_assert_eq!(info.m as usize, f.header().m());
                prop_assert_eq!(info.frame_len as usize, len);
            }
            Err(e) => {
                prop_assert_eq!(st, QcsStatus::from(*e));
                prop_assert_eq!(info, QcsFrameInfo { counter: 99, ..QcsFrameInfo::default() });
            }
        }
        let mut out = Guarded::new(2 * codes_len, 0, 0x33);
        let before = out.data();
        // SAFETY: `out` holds `codes_len` u16 (4-aligned allocation).
        let st = unsafe { qcs_frame_codes(bytes.as_ptr(), len, out.ptr().cast(), codes_len) };
        prop_assert!(out.guard_intact());
        if st != QcsStatus::Ok { prop_assert_eq!(out.data(), before); }
        else { prop_assert_eq!(codes_len, m); }
    }

    #[test]
    fn packing_and_quantizing_never_write_past_their_buffers(
        codes in prop::collection::vec(any::<u16>(), 0..70),
        bits in 0u32..20,
        cap_delta in -3i64..4,
        count_delta in -3i64..4,
        delta in prop_oneof![Just(0.25f32), any::<f32>()],
        values in prop::collection::vec(any::<f32>(), 0..40),
    ) {
        let b = bits.clamp(1, 16);
        let codes: Vec<u16> = codes.iter().map(|&c| if c % 4 == 0 { c } else { c & ((1u32 << b) - 1) as u16 }).collect();
        let mut packed_len = 0usize;
        // SAFETY: a valid out-pointer.
        let st = unsafe { qcs_packed_len(codes.len(), bits, &mut packed_len) };
        let expected_len = quantizer::packed_len(codes.len(), u8::try_from(bits).unwrap_or(0));
        prop_assert_eq!(st == QcsStatus::Ok, expected_len.is_ok());
        let cap = (packed_len as i64 + cap_delta).max(0) as usize;
        let mut out = Guarded::new(cap, 0, 0x44);
        let mut written = usize::MAX;
        // SAFETY: `codes` and `out` hold the lengths passed.
        let st = unsafe { qcs_pack_codes(codes.as_ptr(), codes.len(), bits, out.ptr(), cap, &mut written) };
        prop_assert!(out.guard_intact());
        let mut reference = vec![0x44u8; cap];
        let core = quantizer::pack_codes(&codes, u8::try_from(bits).unwrap_or(0), &mut reference);
        match core {
            Ok(len) => { prop_assert_eq!(st, QcsStatus::Ok); prop_assert_eq!(written, len); prop_assert_eq!(out.data(), reference); }
            Err(e) => { prop_assert_eq!(st, QcsStatus::from(e)); prop_assert_eq!(written, usize::MAX); prop_assert_eq!(out.data(), vec![0x44u8; cap]); }
        }
        // Unpack with an arbitrary count from the (possibly short) buffer.
        let count = (codes.len() as i64 + count_delta).max(0) as usize;
        let mut back = Guarded::new(2 * count, 0, 0x55);
        // SAFETY: `out` holds `cap` bytes, `back` `count` u16.
        let _ = unsafe { qcs_unpack_codes(out.ptr(), cap, bits, back.ptr().cast(), count) };
        prop_assert!(back.guard_intact());
        // Quantize arbitrary values (NaN included) with an arbitrary quantizer.
        let mut q_out = Guarded::new(2 * values.len(), 0, 0x66);
        let before = q_out.data();
        // SAFETY: `values` and `q_out` hold `values.len()` elements.
        let st = unsafe { qcs_uniform_quantize(bits, delta, values.as_ptr(), values.len(), q_out.ptr().cast()) };
        prop_assert!(q_out.guard_intact());
        match UniformQuantizer::new(u8::try_from(bits).unwrap_or(0), delta) {
            Ok(q) if values.iter().all(|v| !v.is_nan()) => {
                prop_assert_eq!(st, QcsStatus::Ok);
                let mut expected = vec![0u16; values.len()];
                q.encode_slice(&values, &mut expected).unwrap();
                let got: Vec<u16> = q_out.data().chunks_exact(2).map(|c| u16::from_ne_bytes([c[0], c[1]])).collect();
                prop_assert_eq!(got, expected);
            }
            _ => { prop_assert_ne!(st, QcsStatus::Ok); prop_assert_eq!(q_out.data(), before); }
        }
    }
}
