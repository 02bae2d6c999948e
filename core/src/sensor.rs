//! The sensing side, `y = Q(Ax + n)` (paper eq. 2), as one function that the firmware and the
//! host both call, so a frame computed on a sensor is bit-identical to the host's.

use crate::operator::SensingOperator;
use crate::quantizer::Quantizer;
use crate::rng::for_each_standard_normal;
use crate::{Error, Result};
use rand_core::Rng;

/// `y += σ·e` with `e` i.i.d. standard normal, drawn pairwise from `rng` in the order of
/// [`crate::rng::fill_standard_normal`] (`σ ≥ 0` finite; `σ = 0` draws nothing).
pub fn add_gaussian_noise<R: Rng + ?Sized>(y: &mut [f32], sigma: f32, rng: &mut R) -> Result<()> {
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(Error::InvalidParameter {
            field: "sigma",
            value: sigma as f64,
            expected: "finite and >= 0",
        });
    }
    if sigma == 0.0 {
        return Ok(());
    }
    let len = y.len();
    for_each_standard_normal(rng, len, |i, e| {
        if let Some(v) = y.get_mut(i) {
            *v += sigma * e;
        }
    });
    Ok(())
}

/// Eq. 1: `y = A x + n`, `n ~ N(0, σ² I)` from `rng` (`y.len() = M`, `x.len() = N`, `x` finite).
pub fn measure_linear<O, R>(
    op: &O,
    x: &[f32],
    sigma: f32,
    rng: &mut R,
    y: &mut [f32],
    scratch: &mut [f32],
) -> Result<()>
where
    O: SensingOperator + ?Sized,
    R: Rng + ?Sized,
{
    Error::check_finite("x", x)?;
    op.forward(x, y, scratch)?;
    add_gaussian_noise(y, sigma, rng)
}

/// Eq. 2: `codes = Q(A x + n)`, leaving the unquantized `A x + n` in `y`
/// (`y.len() = codes.len() = M`).
#[allow(clippy::too_many_arguments)]
pub fn measure<O, Q, R>(
    op: &O,
    x: &[f32],
    sigma: f32,
    rng: &mut R,
    quantizer: &Q,
    y: &mut [f32],
    codes: &mut [u16],
    scratch: &mut [f32],
) -> Result<()>
where
    O: SensingOperator + ?Sized,
    Q: Quantizer + ?Sized,
    R: Rng + ?Sized,
{
    Error::check_len("codes", op.rows(), codes.len())?;
    measure_linear(op, x, sigma, rng, y, scratch)?;
    quantizer.encode_slice(y, codes)
}

/// The one-bit measurements `±1.0` of codes from the sign quantizer (code 0 → −1, 1 → +1), as
/// [`Measurements::one_bit`](crate::likelihood::Measurements::one_bit) takes them.
pub fn signs_from_codes(codes: &[u16], signs: &mut [f32]) -> Result<()> {
    Error::check_len("signs", codes.len(), signs.len())?;
    for (s, &c) in signs.iter_mut().zip(codes) {
        *s = match c {
            0 => -1.0,
            1 => 1.0,
            _ => {
                return Err(Error::CodeOutOfRange {
                    code: c as u32,
                    levels: 2,
                })
            }
        };
    }
    Ok(())
}
