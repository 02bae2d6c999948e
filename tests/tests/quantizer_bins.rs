//! The two quantizers of the core agree: a `ThresholdQuantizer` over the bins of a
//! `UniformQuantizer` (thresholds from `interval`, codewords from `codeword`) gives the same
//! code as the uniform quantizer's arithmetic `encode` for every input near every threshold and
//! for a million others, at the firmware's settings (sign, and 3 bits with Δ = 0.75) and more.
//! (The firmware once quantized through such bins to keep `f32::clamp`'s float formatting out
//! of flash; `UniformQuantizer::encode` no longer calls `clamp`.)

use qcs_core::quantizer::{Quantizer, ThresholdQuantizer, UniformQuantizer};
use qcs_core::rng::{stream_rng, uniform_pm1};

/// The firmware's construction, from the quantizer's own bins.
fn bins(q: &UniformQuantizer) -> (Vec<f32>, Vec<f32>) {
    let levels = q.levels() as u16;
    let thresholds = (1..levels).map(|c| q.interval(c).unwrap().0).collect();
    let codewords = (0..levels).map(|c| q.codeword(c).unwrap()).collect();
    (thresholds, codewords)
}

/// `v` moved by `k` units in the last place (through the bit pattern, across zero).
fn ulps(v: f32, k: i32) -> f32 {
    let ordered = |b: u32| {
        if b >> 31 == 1 {
            -((b & 0x7FFF_FFFF) as i64)
        } else {
            b as i64
        }
    };
    let o = ordered(v.to_bits()) + i64::from(k);
    if o < 0 {
        f32::from_bits((-o) as u32 | 0x8000_0000)
    } else {
        f32::from_bits(o as u32)
    }
}

#[test]
fn threshold_quantizer_over_uniform_bins_gives_the_same_codes() {
    let quantizers = [
        UniformQuantizer::sign(),
        UniformQuantizer::new(3, 0.75).unwrap(),
        UniformQuantizer::new(2, 0.1).unwrap(),
        UniformQuantizer::new(4, 1.3).unwrap(),
    ];
    let mut rng = stream_rng(3, 0);
    for q in quantizers {
        let (t, c) = bins(&q);
        let tq = ThresholdQuantizer::new(&t, &c).unwrap();
        let check = |v: f32| {
            assert_eq!(
                q.encode(v).unwrap(),
                tq.encode(v).unwrap(),
                "bits {} delta {} at {v:e}",
                q.bits(),
                q.delta()
            );
        };
        for &threshold in &t {
            for k in -2000..=2000 {
                check(ulps(threshold, k));
            }
        }
        let span = 1.5 * q.levels() as f32 * q.delta();
        for _ in 0..1_000_000 {
            check(span * uniform_pm1(&mut rng));
        }
        for v in [
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MAX,
            f32::MIN,
            1e-45,
            -1e-45,
        ] {
            check(v);
        }
    }
}
