//! Micro-benchmarks for the cost report (feature `bench`): a SysTick calibration against a
//! loop of known length, and the per-call instruction cost of the `libm` functions on the
//! sensor's hot path (`sqrtf`, `logf` in the polar method) next to the FPU's `vsqrt.f32`, and
//! of `qcs_core::fastmath` (the same `libm` calls, or micromath's with feature `fast-math`).

use crate::out::Out;
use crate::{cost, FwError};
use core::arch::asm;
use core::hint::black_box;
use qcs_core::fastmath;
use qcs_core::rng::{
    langevin_normal_pair, standard_normal_pair, stream_rng, uniform_pm1, Xoshiro128PlusPlus,
};

/// Calls per micro-benchmark.
const CALLS: u32 = 4096;

/// Ticks of `f` (run once).
fn time(f: impl FnOnce()) -> u64 {
    let t0 = cost::ticks();
    f();
    cost::ticks() - t0
}

/// `vsqrt.f32`, the FPU's correctly rounded square root (the same bits as `libm::sqrtf`).
#[inline(always)]
fn fpu_sqrt(v: f32) -> f32 {
    let r: u32;
    // SAFETY: moves through s0 (clobbered) and computes the square root there; no memory.
    unsafe {
        asm!(
            "vmov s0, {0}",
            "vsqrt.f32 s0, s0",
            "vmov {1}, s0",
            in(reg) v.to_bits(),
            lateout(reg) r,
            out("s0") _,
            options(pure, nomem, nostack),
        )
    };
    f32::from_bits(r)
}

/// [`standard_normal_pair`] with the FPU's square root in place of `libm::sqrtf`: the fix the
/// cost report proposes for `qcs-core` (same bits, since both square roots are correctly
/// rounded; checked below).
fn normal_pair_fpu(rng: &mut Xoshiro128PlusPlus) -> (f32, f32) {
    loop {
        let u = uniform_pm1(rng);
        let v = uniform_pm1(rng);
        let s = u * u + v * v;
        if s < 1.0 && s > 0.0 {
            let f = fpu_sqrt((-2.0 * libm::logf(s)) / s);
            return (u * f, v * f);
        }
    }
}

/// Runs the benchmarks and writes `BENCH` lines.
pub fn run(out: &mut Out) -> Result<(), FwError> {
    // 2 instructions per iteration (subs, bne).
    let iterations: u32 = 1 << 22;
    let ticks = time(|| {
        // SAFETY: a counted loop on one scratch register.
        unsafe {
            asm!("1:", "subs {0}, {0}, #1", "bne 1b", inout(reg) iterations => _, options(nomem, nostack))
        }
    });
    out.line(format_args!(
        "BENCH calibrate instructions={} ticks={}",
        2 * u64::from(iterations),
        ticks
    ))?;
    let empty = time(|| {
        for i in 0..CALLS {
            black_box(black_box(1.0f32 + i as f32));
        }
    });
    let mut check = 0u32;
    let sqrt = time(|| {
        for i in 0..CALLS {
            black_box(libm::sqrtf(black_box(1.0f32 + i as f32)));
        }
    });
    let fpu = time(|| {
        for i in 0..CALLS {
            black_box(fpu_sqrt(black_box(1.0f32 + i as f32)));
        }
    });
    for i in 0..CALLS {
        let v = 0.37f32 * i as f32 + 1e-3;
        check += u32::from(libm::sqrtf(v).to_bits() != fpu_sqrt(v).to_bits());
    }
    let log = time(|| {
        for i in 0..CALLS {
            black_box(libm::logf(black_box(1.0f32 + i as f32)));
        }
    });
    let exp = time(|| {
        for i in 0..CALLS {
            black_box(libm::expf(black_box(-(i as f32) * 0.01)));
        }
    });
    let mut rng = stream_rng(1, 0);
    let pair = time(|| {
        for _ in 0..CALLS {
            black_box(standard_normal_pair(&mut rng));
        }
    });
    let mut rng = stream_rng(1, 0);
    let pair_fpu = time(|| {
        for _ in 0..CALLS {
            black_box(normal_pair_fpu(&mut rng));
        }
    });
    // qcs_core::fastmath: libm's functions again, or micromath's with `fast-math`.
    let fast_sqrt = time(|| {
        for i in 0..CALLS {
            black_box(fastmath::sqrtf(black_box(1.0f32 + i as f32)));
        }
    });
    let fast_log = time(|| {
        for i in 0..CALLS {
            black_box(fastmath::logf(black_box(1.0f32 + i as f32)));
        }
    });
    let fast_exp = time(|| {
        for i in 0..CALLS {
            black_box(fastmath::expf(black_box(-(i as f32) * 0.01)));
        }
    });
    let mut rng = stream_rng(1, 0);
    let pair_langevin = time(|| {
        for _ in 0..CALLS {
            black_box(langevin_normal_pair(&mut rng));
        }
    });
    let (mut a, mut b) = (stream_rng(5, 0), stream_rng(5, 0));
    let mut pair_mismatches = 0u32;
    for _ in 0..CALLS {
        let (p, q) = (standard_normal_pair(&mut a), normal_pair_fpu(&mut b));
        pair_mismatches +=
            u32::from(p.0.to_bits() != q.0.to_bits() || p.1.to_bits() != q.1.to_bits());
    }
    for (name, t) in [
        ("loop", empty),
        ("libm_sqrtf", sqrt),
        ("vsqrt_f32", fpu),
        ("libm_logf", log),
        ("libm_expf", exp),
        ("normal_pair", pair),
        ("normal_pair_vsqrt", pair_fpu),
        ("fastmath_sqrtf", fast_sqrt),
        ("fastmath_logf", fast_log),
        ("fastmath_expf", fast_exp),
        ("langevin_pair", pair_langevin),
    ] {
        out.line(format_args!("BENCH {name} calls={CALLS} ticks={t}"))?;
    }
    out.line(format_args!(
        "BENCH sqrt_mismatches={check} of {CALLS} (libm::sqrtf vs vsqrt.f32)"
    ))?;
    out.line(format_args!(
        "BENCH pair_mismatches={pair_mismatches} of {CALLS} (normal pairs, libm vs vsqrt)"
    ))?;
    Ok(())
}
