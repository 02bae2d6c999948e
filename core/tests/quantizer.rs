//! Tests of `qcs_core::quantizer` (paper eq. 2–5) and the code bit packing.
//!
//! The eq. 3–4 tables are either written out by hand or evaluated here from the paper's
//! formulas in `f64` with the paper's 1-based index `r` (independently of the code's `f32`
//! arithmetic path), then rounded once to `f32`.

use proptest::prelude::*;
use qcs_core::quantizer::{
    delta_from_range, pack_codes, packed_len, unpack_codes, Quantizer, ThresholdQuantizer,
    UniformQuantizer,
};
use qcs_core::Error;

const INF: f32 = f32::INFINITY;

/// Eq. 3 in f64: `q_r = (2r − 2^Q − 1)Δ/2`, r = 1..2^Q.
fn paper_codeword(q: u32, r: i64, delta: f32) -> f32 {
    ((2 * r - (1i64 << q) - 1) as f64 * f64::from(delta) / 2.0) as f32
}

/// Eq. 4 in f64: `(l_{q_r}, u_{q_r})`.
fn paper_interval(q: u32, r: i64, delta: f32) -> (f32, f32) {
    let d = f64::from(delta);
    let levels = 1i64 << q;
    let half = 1i64 << (q - 1);
    let l = if r == 1 {
        f64::NEG_INFINITY
    } else {
        (r - half - 1) as f64 * d
    };
    let u = if r == levels {
        f64::INFINITY
    } else {
        (r - half) as f64 * d
    };
    (l as f32, u as f32)
}

fn assert_in_bin<Qz: Quantizer>(q: &Qz, v: f32) -> u16 {
    let c = q.encode(v).unwrap();
    let (l, u) = q.interval(c).unwrap();
    assert!(
        l <= v && v < u,
        "v = {v:e} ({:#x}) code {c} bin [{l:e}, {u:e})",
        v.to_bits()
    );
    c
}

#[test]
fn hand_tables_q1_q2_q3() {
    // Q = 1 (eq. 5): codewords −1/+1, thresholds −∞, 0, +∞, whatever Δ.
    for q in [
        UniformQuantizer::sign(),
        UniformQuantizer::new(1, 0.3).unwrap(),
    ] {
        assert_eq!((q.levels(), Quantizer::bits(&q)), (2, 1));
        assert_eq!(q.codeword(0).unwrap(), -1.0);
        assert_eq!(q.codeword(1).unwrap(), 1.0);
        assert_eq!(q.interval(0).unwrap(), (-INF, 0.0));
        assert_eq!(q.interval(1).unwrap(), (0.0, INF));
    }
    // Q = 2, Δ = 1: q = ±0.5, ±1.5; thresholds −1, 0, 1.
    let q = UniformQuantizer::new(2, 1.0).unwrap();
    let words = [-1.5, -0.5, 0.5, 1.5];
    let bins = [(-INF, -1.0), (-1.0, 0.0), (0.0, 1.0), (1.0, INF)];
    for c in 0..4u16 {
        assert_eq!(q.codeword(c).unwrap(), words[c as usize]);
        assert_eq!(q.interval(c).unwrap(), bins[c as usize]);
    }
    // Q = 3, Δ = 0.5: q = ±0.25, ±0.75, ±1.25, ±1.75; thresholds 0, ±0.5, ±1, ±1.5.
    let q = UniformQuantizer::new(3, 0.5).unwrap();
    let words = [-1.75, -1.25, -0.75, -0.25, 0.25, 0.75, 1.25, 1.75];
    let t = [-INF, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, INF];
    for c in 0..8u16 {
        assert_eq!(q.codeword(c).unwrap(), words[c as usize]);
        assert_eq!(q.interval(c).unwrap(), (t[c as usize], t[c as usize + 1]));
    }
    assert!(q.codeword(8).is_err() && q.interval(8).is_err());
}

#[test]
fn paper_formula_all_codes() {
    let deltas = [0.1f32, 1.0 / 3.0, 0.37, 2.5, 1e-3, 7.0e-20, 1.0e30];
    for bits in 2..=16u8 {
        for &delta in &deltas {
            let q = UniformQuantizer::new(bits, delta).unwrap();
            assert_eq!(q.levels(), 1 << bits);
            assert_eq!(Quantizer::bits(&q), bits);
            let step = if bits > 10 { 97 } else { 1 };
            for r in (1..=(1i64 << bits)).step_by(step).chain([1i64 << bits]) {
                let c = (r - 1) as u16;
                let w = q.codeword(c).unwrap();
                assert_eq!(w.to_bits(), paper_codeword(bits.into(), r, delta).to_bits());
                assert_eq!(
                    q.interval(c).unwrap(),
                    paper_interval(bits.into(), r, delta)
                );
                // The codeword lies in its own bin and encodes to its own code.
                assert_eq!(assert_in_bin(&q, w), c);
            }
        }
    }
}

#[test]
fn sign_convention() {
    let q = UniformQuantizer::sign();
    assert_eq!(q.encode(0.0).unwrap(), 1, "sign(0) = +1 (l_{{+1}} = 0 ≤ z)");
    assert_eq!(q.encode(-0.0).unwrap(), 1);
    assert_eq!(q.encode(f32::from_bits(1)).unwrap(), 1);
    assert_eq!(q.encode(-f32::from_bits(1)).unwrap(), 0);
    assert_eq!(q.encode(-INF).unwrap(), 0);
    assert_eq!(q.encode(INF).unwrap(), 1);
    assert_eq!(q.encode(-3.0).unwrap(), 0);
    assert_eq!(q.encode(1e-30).unwrap(), 1);
    assert_eq!(
        q.encode(f32::NAN),
        Err(Error::NonFinite {
            field: "v",
            index: 0
        })
    );
    assert_eq!(q.delta(), 2.0);
}

#[test]
fn outer_bins_and_infinities() {
    let q = UniformQuantizer::new(3, 0.5).unwrap();
    assert_eq!(q.encode(-INF).unwrap(), 0);
    assert_eq!(q.encode(-1e30).unwrap(), 0);
    assert_eq!(q.encode(-1.5).unwrap(), 1);
    assert_eq!(q.encode(1.5).unwrap(), 7);
    assert_eq!(q.encode(1e30).unwrap(), 7);
    assert_eq!(q.encode(INF).unwrap(), 7);
    assert_eq!(q.encode(f32::MAX).unwrap(), 7);
    assert_eq!(q.encode(0.0).unwrap(), 4);
    assert_eq!(q.encode(-0.0).unwrap(), 4);
    assert!(matches!(q.encode(f32::NAN), Err(Error::NonFinite { .. })));
    // Tiny Δ: huge quotients v/Δ = ±∞ are clamped.
    let q = UniformQuantizer::new(16, f32::MIN_POSITIVE).unwrap();
    assert_eq!(q.encode(1.0).unwrap(), 65535);
    assert_eq!(q.encode(-1.0).unwrap(), 0);
    assert_eq!(q.encode(0.0).unwrap(), 32768);
}

#[test]
fn threshold_adjacent_values_all_codes() {
    for (bits, delta) in [
        (2u8, 0.1f32),
        (3, 1.0 / 3.0),
        (4, 0.3),
        (8, 0.01),
        (12, 1.7e-3),
    ] {
        let q = UniformQuantizer::new(bits, delta).unwrap();
        for c in 1..(1u32 << bits) as u16 {
            let (t, _) = q.interval(c).unwrap();
            assert_eq!(assert_in_bin(&q, t), c);
            assert_eq!(assert_in_bin(&q, t.next_down()), c - 1);
            assert_eq!(assert_in_bin(&q, t.next_up()), c);
            for v in [t.next_down().next_down(), t.next_up().next_up()] {
                assert_in_bin(&q, v);
            }
        }
    }
}

#[test]
fn strided_sweep_over_all_f32() {
    // Every 4099th bit pattern (about a million values, all magnitudes and both signs).
    let quantizers = [
        UniformQuantizer::sign(),
        UniformQuantizer::new(2, 0.1).unwrap(),
        UniformQuantizer::new(5, 1.0 / 3.0).unwrap(),
        UniformQuantizer::new(16, 3.0e-5).unwrap(),
        UniformQuantizer::new(16, 1.0e33).unwrap(),
    ];
    for q in &quantizers {
        for bits in (0..=u32::MAX).step_by(4099) {
            let v = f32::from_bits(bits);
            if v.is_nan() {
                assert!(q.encode(v).is_err());
            } else {
                assert_in_bin(q, v);
            }
        }
    }
}

#[test]
fn constructor_errors() {
    for bits in [0u8, 17, 255] {
        assert!(matches!(
            UniformQuantizer::new(bits, 1.0),
            Err(Error::InvalidParameter { field: "bits", .. })
        ));
    }
    for delta in [
        0.0f32,
        -1.0,
        f32::NAN,
        INF,
        f32::from_bits(1),
        f32::MIN_POSITIVE / 2.0,
        1e38,
    ] {
        assert!(
            matches!(
                UniformQuantizer::new(16, delta),
                Err(Error::InvalidParameter { field: "delta", .. })
            ),
            "{delta:e}"
        );
    }
    assert!(UniformQuantizer::new(16, 1e33).is_ok());
    assert!(UniformQuantizer::new(1, f32::MAX).is_ok());
    assert!(UniformQuantizer::new(16, f32::MIN_POSITIVE).is_ok());
}

#[test]
fn delta_from_range_and_measurements() {
    assert_eq!(delta_from_range(0.0, 1.0, 2).unwrap(), 0.25);
    assert_eq!(delta_from_range(-1.0, 3.0, 1).unwrap(), 2.0);
    assert_eq!(delta_from_range(-3.0, 5.0, 3).unwrap(), 1.0);
    assert!(matches!(
        delta_from_range(1.0, 1.0, 2),
        Err(Error::InvalidParameter { field: "max", .. })
    ));
    assert!(matches!(
        delta_from_range(2.0, 1.0, 2),
        Err(Error::InvalidParameter { field: "max", .. })
    ));
    assert!(matches!(
        delta_from_range(f32::NAN, 1.0, 2),
        Err(Error::NonFinite { field: "min", .. })
    ));
    assert!(matches!(
        delta_from_range(0.0, INF, 2),
        Err(Error::NonFinite { field: "max", .. })
    ));
    assert!(matches!(
        delta_from_range(-3e38, 3e38, 2),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        delta_from_range(0.0, 1.0, 0),
        Err(Error::InvalidParameter { field: "bits", .. })
    ));

    let q = UniformQuantizer::from_measurements(&[0.5, -1.0, 3.0, 2.0], 2).unwrap();
    assert_eq!(q.delta(), 1.0);
    assert_eq!(q, UniformQuantizer::new(2, 1.0).unwrap());
    assert!(matches!(
        UniformQuantizer::from_measurements(&[], 2),
        Err(Error::Empty { field: "values" })
    ));
    assert_eq!(
        UniformQuantizer::from_measurements(&[1.0, f32::NAN], 2),
        Err(Error::NonFinite {
            field: "values",
            index: 1
        })
    );
    assert_eq!(
        UniformQuantizer::from_measurements(&[1.0, 2.0, -INF], 2),
        Err(Error::NonFinite {
            field: "values",
            index: 2
        })
    );
    assert!(matches!(
        UniformQuantizer::from_measurements(&[0.7; 5], 3),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        UniformQuantizer::from_measurements(&[0.0, 1.0], 17),
        Err(Error::InvalidParameter { field: "bits", .. })
    ));
}

#[test]
fn slice_methods() {
    let q = UniformQuantizer::new(2, 1.0).unwrap();
    let values = [-5.0, -1.0, -0.5, 0.0, 0.99, 1.0, INF];
    let mut codes = [0u16; 7];
    q.encode_slice(&values, &mut codes).unwrap();
    assert_eq!(codes, [0, 1, 1, 2, 2, 3, 3]);
    let (mut lo, mut hi) = ([0f32; 7], [0f32; 7]);
    q.bounds_slice(&codes, &mut lo, &mut hi).unwrap();
    assert_eq!(lo, [-INF, -1.0, -1.0, 0.0, 0.0, 1.0, 1.0]);
    assert_eq!(hi, [-1.0, 0.0, 0.0, 1.0, 1.0, INF, INF]);

    assert!(matches!(
        q.encode_slice(&values, &mut codes[..6]),
        Err(Error::DimensionMismatch {
            field: "codes",
            expected: 7,
            found: 6
        })
    ));
    assert_eq!(
        q.encode_slice(&[0.0, 1.0, f32::NAN], &mut codes[..3]),
        Err(Error::NonFinite {
            field: "values",
            index: 2
        })
    );
    assert!(matches!(
        q.bounds_slice(&codes, &mut lo[..6], &mut hi),
        Err(Error::DimensionMismatch { field: "lower", .. })
    ));
    assert!(matches!(
        q.bounds_slice(&codes, &mut lo, &mut hi[..1]),
        Err(Error::DimensionMismatch { field: "upper", .. })
    ));
    assert_eq!(
        q.bounds_slice(&[0, 4], &mut lo[..2], &mut hi[..2]),
        Err(Error::CodeOutOfRange { code: 4, levels: 4 })
    );
}

/// Lloyd–Max 2-bit quantizer of N(0, 1) (Max 1960, to 4 digits).
const LM_T: [f32; 3] = [-0.9816, 0.0, 0.9816];
const LM_C: [f32; 4] = [-1.510, -0.4528, 0.4528, 1.510];

#[test]
fn threshold_quantizer_basics() {
    let q = ThresholdQuantizer::new(&LM_T, &LM_C).unwrap();
    assert_eq!((q.levels(), Quantizer::bits(&q)), (4, 2));
    assert_eq!(q.thresholds(), &LM_T);
    assert_eq!(q.codewords(), &LM_C);
    assert_eq!(q.interval(0).unwrap(), (-INF, -0.9816));
    assert_eq!(q.interval(2).unwrap(), (0.0, 0.9816));
    assert_eq!(q.interval(3).unwrap(), (0.9816, INF));
    assert_eq!(q.codeword(3).unwrap(), 1.510);
    assert_eq!(
        q.interval(4),
        Err(Error::CodeOutOfRange { code: 4, levels: 4 })
    );
    assert_eq!(
        q.codeword(4),
        Err(Error::CodeOutOfRange { code: 4, levels: 4 })
    );
    let cases = [
        (-INF, 0),
        (-0.9816, 1),
        (-0.0, 2),
        (0.0, 2),
        (0.9816, 3),
        (INF, 3),
        (-2.0, 0),
    ];
    for (v, c) in cases {
        assert_eq!(q.encode(v).unwrap(), c, "{v}");
    }
    assert_eq!(q.encode(0.9816f32.next_down()).unwrap(), 2);
    assert!(q.encode(f32::NAN).is_err());
    // Non-power-of-two level counts: bits = ⌈log₂ L⌉.
    let q3 = ThresholdQuantizer::new(&[0.0, 1.0], &[-1.0, 0.5, 2.0]).unwrap();
    assert_eq!((q3.levels(), Quantizer::bits(&q3)), (3, 2));
    let q2 = ThresholdQuantizer::new(&[0.0], &[-1.0, 1.0]).unwrap();
    assert_eq!((q2.levels(), Quantizer::bits(&q2)), (2, 1));
    let t5: Vec<f32> = (0..4).map(|k| k as f32).collect();
    let c5: Vec<f32> = (0..5).map(|k| k as f32 - 0.5).collect();
    let q5 = ThresholdQuantizer::new(&t5, &c5).unwrap();
    assert_eq!((q5.levels(), Quantizer::bits(&q5)), (5, 3));
    // The largest quantizer: 65535 thresholds, 65536 levels, 16 bits.
    let t: Vec<f32> = (0..65535).map(|k| k as f32).collect();
    let c: Vec<f32> = (0..65536).map(|k| k as f32 - 0.5).collect();
    let q = ThresholdQuantizer::new(&t, &c).unwrap();
    assert_eq!((q.levels(), Quantizer::bits(&q)), (65536, 16));
    assert_eq!(q.encode(1e9).unwrap(), 65535);
    assert_eq!(q.interval(65535).unwrap(), (65534.0, INF));
}

#[test]
fn threshold_quantizer_errors() {
    let e = |t: &[f32], c: &[f32]| ThresholdQuantizer::new(t, c).unwrap_err();
    assert_eq!(
        e(&[], &[0.0]),
        Error::Empty {
            field: "thresholds"
        }
    );
    assert!(matches!(
        e(&[0.0, 0.0], &[-1.0, 0.0, 1.0]),
        Error::InvalidParameter {
            field: "thresholds",
            ..
        }
    ));
    assert!(matches!(
        e(&[1.0, 0.0], &[-1.0, 0.5, 2.0]),
        Error::InvalidParameter {
            field: "thresholds",
            ..
        }
    ));
    assert!(matches!(
        e(&[0.0, -0.0], &[-1.0, 0.0, 1.0]),
        Error::InvalidParameter {
            field: "thresholds",
            ..
        }
    ));
    assert_eq!(
        e(&[0.0, f32::NAN], &[-1.0, 0.5, 2.0]),
        Error::NonFinite {
            field: "thresholds",
            index: 1
        }
    );
    assert_eq!(
        e(&[INF], &[-1.0, 2.0]),
        Error::NonFinite {
            field: "thresholds",
            index: 0
        }
    );
    assert!(matches!(
        e(&[0.0], &[-1.0]),
        Error::DimensionMismatch {
            field: "codewords",
            expected: 2,
            found: 1
        }
    ));
    assert!(matches!(
        e(&[0.0], &[-1.0, 1.0, 2.0]),
        Error::DimensionMismatch { .. }
    ));
    assert_eq!(
        e(&[0.0], &[-1.0, -INF]),
        Error::NonFinite {
            field: "codewords",
            index: 1
        }
    );
    // Codewords outside their bins (the upper bound is exclusive).
    assert!(matches!(
        e(&[0.0], &[0.0, 1.0]),
        Error::InvalidParameter {
            field: "codewords",
            ..
        }
    ));
    assert!(matches!(
        e(&[0.0], &[-1.0, -0.5]),
        Error::InvalidParameter {
            field: "codewords",
            ..
        }
    ));
    assert!(matches!(
        e(&[0.0, 1.0], &[-1.0, 1.0, 2.0]),
        Error::InvalidParameter {
            field: "codewords",
            ..
        }
    ));
    let t: Vec<f32> = (0..65536).map(|k| k as f32).collect();
    let c: Vec<f32> = (0..65537).map(|k| k as f32 - 0.5).collect();
    assert!(matches!(
        e(&t, &c),
        Error::InvalidParameter {
            field: "thresholds",
            ..
        }
    ));
}

#[test]
fn packing_known_answers() {
    // Q = 1: numpy.packbits([1,0,1,1,0,0,1,0, 1,1,1,0,0,1,0,1, 1,0,1]) == [178, 229, 160].
    let bits = [1u16, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1];
    let mut out = [0xFFu8; 4];
    assert_eq!(pack_codes(&bits, 1, &mut out).unwrap(), 3);
    assert_eq!(
        out,
        [178, 229, 160, 0xFF],
        "bytes after the packed length are untouched"
    );
    let mut back = [0u16; 19];
    unpack_codes(&out[..3], 1, &mut back).unwrap();
    assert_eq!(back, bits);
    // Q = 3 by hand: 5,0,7,2,3 → 101 000 111 010 011 + pad 0 → 1010_0011 1010_0110.
    let codes = [5u16, 0, 7, 2, 3];
    let mut out = [0u8; 2];
    assert_eq!(pack_codes(&codes, 3, &mut out).unwrap(), 2);
    assert_eq!(out, [0xA3, 0xA6]);
    let mut back = [0u16; 5];
    unpack_codes(&out, 3, &mut back).unwrap();
    assert_eq!(back, codes);
    // Q = 12 and Q = 16.
    let mut out = [0u8; 3];
    pack_codes(&[0xABC, 0x123], 12, &mut out).unwrap();
    assert_eq!(out, [0xAB, 0xC1, 0x23]);
    let mut out = [0u8; 4];
    pack_codes(&[0x1234, 0xABCD], 16, &mut out).unwrap();
    assert_eq!(out, [0x12, 0x34, 0xAB, 0xCD]);
    // Empty input.
    assert_eq!(pack_codes(&[], 5, &mut []).unwrap(), 0);
    unpack_codes(&[], 5, &mut []).unwrap();
}

#[test]
fn packed_len_values() {
    assert_eq!(packed_len(0, 1).unwrap(), 0);
    assert_eq!(packed_len(1, 1).unwrap(), 1);
    assert_eq!(packed_len(8, 1).unwrap(), 1);
    assert_eq!(packed_len(9, 1).unwrap(), 2);
    assert_eq!(packed_len(5, 3).unwrap(), 2);
    assert_eq!(packed_len(784, 2).unwrap(), 196);
    assert_eq!(packed_len(3, 16).unwrap(), 6);
    assert!(matches!(
        packed_len(usize::MAX, 2),
        Err(Error::InvalidParameter { field: "count", .. })
    ));
    assert!(matches!(
        packed_len(1, 0),
        Err(Error::InvalidParameter { field: "bits", .. })
    ));
    assert!(matches!(
        packed_len(1, 17),
        Err(Error::InvalidParameter { field: "bits", .. })
    ));
}

#[test]
fn packing_errors() {
    let mut out = [0x55u8; 2];
    assert_eq!(
        pack_codes(&[1, 8, 2], 3, &mut out),
        Err(Error::CodeOutOfRange { code: 8, levels: 8 })
    );
    assert_eq!(
        pack_codes(&[1, 2, 3, 4, 5, 6], 3, &mut out),
        Err(Error::BufferTooSmall {
            field: "out",
            needed: 3,
            available: 2
        })
    );
    assert_eq!(out, [0x55, 0x55], "out is unchanged on error");
    assert!(matches!(
        pack_codes(&[0], 0, &mut out),
        Err(Error::InvalidParameter { .. })
    ));
    let mut codes = [0u16; 6];
    assert_eq!(
        unpack_codes(&[0, 0], 3, &mut codes),
        Err(Error::BufferTooSmall {
            field: "bytes",
            needed: 3,
            available: 2
        })
    );
    // Non-zero padding bits are rejected: 5 codes of 3 bits leave one pad bit.
    assert!(matches!(
        unpack_codes(&[0xA3, 0xA7], 3, &mut codes[..5]),
        Err(Error::InvalidParameter { field: "bytes", .. })
    ));
    // Extra trailing bytes are ignored.
    unpack_codes(&[0xA3, 0xA6, 0xFF], 3, &mut codes[..5]).unwrap();
    assert_eq!(codes[..5], [5, 0, 7, 2, 3]);
    assert!(matches!(
        unpack_codes(&[0], 17, &mut codes[..1]),
        Err(Error::InvalidParameter { .. })
    ));
}

fn next_up_n(mut v: f32, n: i32) -> f32 {
    for _ in 0..n.abs() {
        v = if n > 0 { v.next_up() } else { v.next_down() };
    }
    v
}

proptest! {
    #[test]
    fn encode_lands_in_own_interval(
        bits in 1u8..=16,
        delta_exp in -20.0f32..20.0,
        delta_mant in 1.0f32..2.0,
        v in prop_oneof![any::<f32>(), -100.0f32..100.0],
    ) {
        let delta = delta_mant * libm::exp2f(delta_exp);
        let q = UniformQuantizer::new(bits, delta).unwrap();
        if v.is_nan() {
            prop_assert!(q.encode(v).is_err());
        } else {
            let c = q.encode(v).unwrap();
            let (l, u) = q.interval(c).unwrap();
            prop_assert!(l <= v && v < u, "v={v:e} c={c} [{l:e},{u:e})");
            let w = q.codeword(c).unwrap();
            prop_assert!(l <= w && w < u);
        }
    }

    #[test]
    fn encode_near_thresholds(
        bits in 2u8..=16,
        delta in 1e-3f32..10.0,
        k in any::<u16>(),
        ulps in -3i32..=3,
    ) {
        let q = UniformQuantizer::new(bits, delta).unwrap();
        let k = 1 + (u32::from(k) % (q.levels() - 1)) as u16;
        let (t, _) = q.interval(k).unwrap();
        let v = next_up_n(t, ulps);
        let c = q.encode(v).unwrap();
        let (l, u) = q.interval(c).unwrap();
        prop_assert!(l <= v && v < u);
        prop_assert_eq!(c, if ulps < 0 { k - 1 } else { k });
    }

    #[test]
    fn uniform_agrees_with_threshold_quantizer(
        bits in 1u8..=8,
        delta in 1e-2f32..5.0,
        v in -1000.0f32..1000.0,
    ) {
        let q = UniformQuantizer::new(bits, delta).unwrap();
        let levels = q.levels() as u16;
        let t: Vec<f32> = (1..levels).map(|c| q.interval(c).unwrap().0).collect();
        let w: Vec<f32> = (0..levels).map(|c| q.codeword(c).unwrap()).collect();
        let tq = ThresholdQuantizer::new(&t, &w).unwrap();
        prop_assert_eq!(q.encode(v).unwrap(), tq.encode(v).unwrap());
        prop_assert_eq!(q.encode(t[0]).unwrap(), tq.encode(t[0]).unwrap());
    }

    #[test]
    fn threshold_quantizer_in_own_interval(
        mut t in proptest::collection::vec(-1e6f32..1e6, 1..40),
        v in any::<f32>(),
    ) {
        t.sort_by(f32::total_cmp);
        t.dedup();
        let mut c = vec![t[0] - 1.0];
        c.extend_from_slice(&t);
        let q = ThresholdQuantizer::new(&t, &c).unwrap();
        if !v.is_nan() {
            let code = q.encode(v).unwrap();
            let (l, u) = q.interval(code).unwrap();
            prop_assert!(l <= v && v < u);
        }
    }

    #[test]
    fn pack_unpack_round_trip(
        bits in 1u8..=16,
        raw in proptest::collection::vec(any::<u16>(), 0..200),
    ) {
        let mask = ((1u32 << bits) - 1) as u16;
        let codes: Vec<u16> = raw.iter().map(|c| c & mask).collect();
        let len = packed_len(codes.len(), bits).unwrap();
        let mut bytes = vec![0xEEu8; len + 2];
        prop_assert_eq!(pack_codes(&codes, bits, &mut bytes).unwrap(), len);
        prop_assert_eq!(&bytes[len..], &[0xEE, 0xEE]);
        // Pad bits are zero.
        let pad = len * 8 - codes.len() * bits as usize;
        if let Some(&last) = bytes[..len].last() {
            prop_assert_eq!(u32::from(last) & ((1u32 << pad) - 1), 0);
        }
        let mut back = vec![0u16; codes.len()];
        unpack_codes(&bytes, bits, &mut back).unwrap();
        prop_assert_eq!(back, codes);
    }
}
