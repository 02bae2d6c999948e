//! Numerically stable standard-normal functions (placeholder implementation, to be replaced).

/// Scaled complementary error function `erfcx(x) = exp(x²)·erfc(x)`.
pub fn erfcx(x: f32) -> f32 {
    libm::expf(x * x) * libm::erfcf(x)
}

/// `log Φ(x)`, the log of the standard normal CDF.
pub fn log_ndtr(x: f32) -> f32 {
    libm::logf(0.5 * libm::erfcf(-x * core::f32::consts::FRAC_1_SQRT_2))
}

/// `E[X | X > a]` for `X ~ N(0, 1)` (the inverse Mills ratio `φ(a)/(1 − Φ(a))`).
pub fn upper_tail_mean(a: f32) -> f32 {
    truncated_normal_mean(a, f32::INFINITY)
}

/// `E[X | a < X < b]` for `X ~ N(0, 1)`.
pub fn truncated_normal_mean(a: f32, b: f32) -> f32 {
    let pdf = |t: f32| {
        if t.is_infinite() {
            0.0
        } else {
            libm::expf(-0.5 * t * t) * 0.398_942_3
        }
    };
    let cdf = |t: f32| 0.5 * libm::erfcf(-t * core::f32::consts::FRAC_1_SQRT_2);
    (pdf(a) - pdf(b)) / (cdf(b) - cdf(a))
}
