//! Scalar quantizers and bit packing (paper eq. 2–5).
//!
//! A quantizer maps each noisy measurement `z_m + n_m` to a *code* (`u16`, so at most 16 bits
//! and 65 536 levels) and, at the receiver, each code back to its codeword and to the interval
//! `[l, u)` that the measurement fell into (eq. 4). The likelihood consumes these per-measurement
//! bounds; the codewords are only needed to display or dequantize.
//!
//! * [`UniformQuantizer`]: the uniform mid-rise quantizer of eq. 3–4 with step `Δ`, and the
//!   one-bit sign quantizer of eq. 5 ([`UniformQuantizer::sign`]).
//! * [`ThresholdQuantizer`]: any scalar quantizer given by caller-provided thresholds and
//!   codewords (for example Lloyd–Max).
//! * [`packed_len`], [`pack_codes`], [`unpack_codes`]: a dense big-endian bit stream of codes.
//!
//! # Interval convention
//! Every bin is half-open, `[l, u)`, exactly as the paper writes `l_{y_m} ≤ z_m + n_m < u_{y_m}`
//! (§2.1): a value exactly equal to a threshold belongs to the *upper* bin. For the sign
//! quantizer this means `sign(0) = +1` (and `sign(−0.0) = +1`, since `−0.0 = 0.0` in IEEE
//! comparison), because eq. 5 gives `l_{+1} = 0 ≤ z`. The outer bins are open:
//! `l = −∞` for the first code, `u = +∞` for the last, and values beyond the outermost finite
//! thresholds (including `±∞`) land in them. NaN has no bin: [`Quantizer::encode`] returns
//! [`Error::NonFinite`].

mod packing;
pub use packing::{pack_codes, packed_len, unpack_codes};

use crate::{Error, Result};

/// The largest number of bits per code (codes are `u16`).
pub const MAX_BITS: u8 = 16;

/// The largest number of levels of a quantizer, `2^16`.
pub const MAX_LEVELS: u32 = 1 << MAX_BITS;

/// A scalar quantizer: codes `0..levels()`, each with a codeword and a half-open interval.
///
/// Implementations guarantee, for every non-NaN `v`, that `encode(v)` returns a code `c` with
/// `l ≤ v < u` where `(l, u) = interval(c)` (the inverse image `Q⁻¹(y_m) = [l, u)` of §2.1,
/// eq. 4), and that `codeword(c)` lies in `[l, u)`.
pub trait Quantizer {
    /// The number of codes `L` (for a uniform quantizer `2^Q`, eq. 3).
    fn levels(&self) -> u32;

    /// Bits per packed code: `⌈log₂ L⌉` (equal to `Q` for a uniform quantizer).
    fn bits(&self) -> u8;

    /// The code of `v`: the index of the bin `[l, u)` with `l ≤ v < u` (eq. 2, 4).
    ///
    /// `±∞` land in the outer bins. Errors: [`Error::NonFinite`] for NaN.
    fn encode(&self, v: f32) -> Result<u16>;

    /// The bin `[l, u)` of `code` (eq. 4), with `l = −∞` for the first code and `u = +∞` for
    /// the last.
    ///
    /// Errors: [`Error::CodeOutOfRange`] when `code ≥ levels()`.
    fn interval(&self, code: u16) -> Result<(f32, f32)>;

    /// The codeword (reconstruction value) of `code` (eq. 3 for the uniform quantizer).
    ///
    /// Errors: [`Error::CodeOutOfRange`] when `code ≥ levels()`.
    fn codeword(&self, code: u16) -> Result<f32>;

    /// Encodes `values` into `codes` element by element (eq. 2: `y_m = Q(z_m + n_m)`).
    ///
    /// Errors: [`Error::DimensionMismatch`] unless `codes.len() == values.len()`;
    /// [`Error::NonFinite`] (field `"values"`, with the index) for a NaN. On error the contents
    /// of `codes` are unspecified.
    fn encode_slice(&self, values: &[f32], codes: &mut [u16]) -> Result<()> {
        Error::check_len("codes", values.len(), codes.len())?;
        for (index, (v, c)) in values.iter().zip(codes.iter_mut()).enumerate() {
            if v.is_nan() {
                return Err(Error::NonFinite {
                    field: "values",
                    index,
                });
            }
            *c = self.encode(*v)?;
        }
        Ok(())
    }

    /// Writes the bounds `l_{y_m}`, `u_{y_m}` of each code (eq. 4) into `lower` and `upper`,
    /// as the likelihood (eq. 24) consumes them.
    ///
    /// Errors: [`Error::DimensionMismatch`] unless `lower` and `upper` have `codes.len()`
    /// elements; [`Error::CodeOutOfRange`] for a code `≥ levels()`. On error the contents of
    /// `lower` and `upper` are unspecified.
    fn bounds_slice(&self, codes: &[u16], lower: &mut [f32], upper: &mut [f32]) -> Result<()> {
        Error::check_len("lower", codes.len(), lower.len())?;
        Error::check_len("upper", codes.len(), upper.len())?;
        for ((c, l), u) in codes.iter().zip(lower.iter_mut()).zip(upper.iter_mut()) {
            let (lo, hi) = self.interval(*c)?;
            *l = lo;
            *u = hi;
        }
        Ok(())
    }
}

/// Checks `bits ∈ 1..=16`.
fn check_bits(bits: u8) -> Result<()> {
    if (1..=MAX_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            field: "bits",
            value: bits as f64,
            expected: "1..=16",
        })
    }
}

/// The uniform quantizer of eq. 3–4 with `Q` bits and step `Δ`; for `Q = 1` the sign
/// quantizer of eq. 5.
///
/// With `L = 2^Q` and `h = 2^{Q−1}`, code `c = r − 1` (`r = 1, …, L` as in the paper) has
///
/// * codeword `q_r = (2r − 2^Q − 1)·Δ/2 = (2c + 1 − L)·Δ/2` (eq. 3), computed in `f32` as
///   `((2c + 1 − L)·Δ)·0.5`, which is the `f32` nearest to the exact value;
/// * interval `[l, u)` with `l = (c − h)·Δ` for `c ≥ 1`, `l = −∞` for `c = 0`, and
///   `u = (c + 1 − h)·Δ` for `c ≤ L − 2`, `u = +∞` for `c = L − 1` (eq. 4). Each finite
///   threshold is one `f32` product of an exact small integer and `Δ`, so it is the `f32`
///   nearest to the paper's real-valued threshold.
///
/// For `Q = 1` the only threshold is `0` and the codewords are `−1` (code 0) and `+1`
/// (code 1) as in eq. 5, whatever `Δ` is (Δ is then only stored). Note that eq. 3 with
/// `Δ = 2` gives the same codewords, which is what [`UniformQuantizer::sign`] stores.
///
/// [`Quantizer::encode`] computes the bin arithmetically, `⌊v/Δ + h⌋` clamped to `0..L`, and
/// then corrects it by comparing `v` with the `f32` thresholds above, so that the result
/// always satisfies `l ≤ v < u` for its own interval, even for values adjacent to a threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UniformQuantizer {
    bits: u8,
    delta: f32,
}

impl UniformQuantizer {
    /// A `bits`-bit uniform quantizer with step `delta` (eq. 3–4).
    ///
    /// Errors: [`Error::InvalidParameter`] unless `bits ∈ 1..=16`; unless `delta` is finite and
    /// at least `f32::MIN_POSITIVE` (a normal number, so that every codeword lies strictly
    /// inside its bin); and unless `(2^Q − 1)·Δ` is finite in `f32` (so that every threshold
    /// and codeword is finite). `delta` is validated even for `Q = 1`, where it is not used.
    pub fn new(bits: u8, delta: f32) -> Result<Self> {
        check_bits(bits)?;
        Error::check_positive("delta", delta)?;
        if delta < f32::MIN_POSITIVE {
            return Err(Error::InvalidParameter {
                field: "delta",
                value: delta as f64,
                expected: "a normal f32 (at least f32::MIN_POSITIVE)",
            });
        }
        let levels = 1u32 << bits;
        if !((levels - 1) as f32 * delta).is_finite() {
            return Err(Error::InvalidParameter {
                field: "delta",
                value: delta as f64,
                expected: "(2^Q - 1)·delta finite in f32",
            });
        }
        Ok(Self { bits, delta })
    }

    /// The one-bit sign quantizer of eq. 5: threshold `0`, codewords `−1` (code 0) and `+1`
    /// (code 1), `sign(0) = +1` (see the module docs). Stores `Δ = 2`, for which eq. 3 gives
    /// the same codewords.
    pub fn sign() -> Self {
        Self {
            bits: 1,
            delta: 2.0,
        }
    }

    /// A `bits`-bit quantizer whose step comes from the range of `values`, as the authors
    /// do: `Δ = (max − min)/2^Q` (see [`delta_from_range`]).
    ///
    /// Errors: [`Error::Empty`] for no values; [`Error::NonFinite`] (field `"values"`) for a
    /// NaN or `±∞`; [`Error::InvalidParameter`] when all values are equal (zero range, also for
    /// `Q = 1`), or for a `bits` or a resulting `Δ` that [`UniformQuantizer::new`] rejects.
    pub fn from_measurements(values: &[f32], bits: u8) -> Result<Self> {
        check_bits(bits)?;
        if values.is_empty() {
            return Err(Error::Empty { field: "values" });
        }
        Error::check_finite("values", values)?;
        let mut min = f32::INFINITY;
        let mut max = f32::NEG_INFINITY;
        for &v in values {
            if v < min {
                min = v;
            }
            if v > max {
                max = v;
            }
        }
        let delta = delta_from_range(min, max, bits)?;
        Self::new(bits, delta)
    }

    /// The step `Δ` (for `Q = 1` stored but not used).
    pub fn delta(&self) -> f32 {
        self.delta
    }

    /// Half the number of levels, `h = 2^{Q−1}`.
    fn half(&self) -> i32 {
        1i32 << (self.bits - 1)
    }

    /// The finite threshold `t_k = (k − h)·Δ` for `k = 1, …, L − 1`: the lower bound of code
    /// `k` and the upper bound of code `k − 1` (eq. 4 with `k = r − 1`).
    fn threshold(&self, k: i32) -> f32 {
        (k - self.half()) as f32 * self.delta
    }

    /// Checks `code < L` and returns it as `i32`.
    fn check_code(&self, code: u16) -> Result<i32> {
        let levels = self.levels();
        if u32::from(code) < levels {
            Ok(i32::from(code))
        } else {
            Err(Error::CodeOutOfRange {
                code: u32::from(code),
                levels,
            })
        }
    }
}

impl Quantizer for UniformQuantizer {
    fn levels(&self) -> u32 {
        1u32 << self.bits
    }

    fn bits(&self) -> u8 {
        self.bits
    }

    #[inline]
    fn encode(&self, v: f32) -> Result<u16> {
        if v.is_nan() {
            return Err(Error::NonFinite {
                field: "v",
                index: 0,
            });
        }
        let half = self.half();
        let last = 2 * half - 1;
        // Arithmetic guess ⌊v/Δ + h⌋, clamped to 0..=L−1 in f32 first (so ±∞ and huge quotients
        // are safe); the clamped value is non-negative, so truncation is the floor.
        let guess = (v / self.delta + half as f32).max(0.0).min(last as f32);
        let mut code = guess as i32;
        // Make the guess exactly consistent with the f32 thresholds: t_code ≤ v < t_{code+1}.
        // The guess is off by at most one bin: for |v/Δ| ≤ 2^15 the two roundings above move
        // v/Δ + h by at most 2^-7, and each f32 threshold t_k differs from (k − h)·Δ by at most
        // 2^-9·Δ, far less than one bin; beyond that range only the clamped outer codes are
        // possible. So one step in each direction suffices (and at most one of them fires).
        // Plain `if`s, not loops: a `while` here gets vectorized into a slow search.
        if code > 0 && v < self.threshold(code) {
            code -= 1;
        } else if code < last && v >= self.threshold(code + 1) {
            code += 1;
        }
        // 0 ≤ code ≤ 65535 by the clamps above.
        Ok(code as u16)
    }

    fn interval(&self, code: u16) -> Result<(f32, f32)> {
        let c = self.check_code(code)?;
        let last = 2 * self.half() - 1;
        let lower = if c == 0 {
            f32::NEG_INFINITY
        } else {
            self.threshold(c)
        };
        let upper = if c == last {
            f32::INFINITY
        } else {
            self.threshold(c + 1)
        };
        Ok((lower, upper))
    }

    fn codeword(&self, code: u16) -> Result<f32> {
        let c = self.check_code(code)?;
        if self.bits == 1 {
            // Eq. 5: the sign quantizer's codewords are ±1 regardless of Δ.
            return Ok(if c == 0 { -1.0 } else { 1.0 });
        }
        let odd = 2 * c + 1 - 2 * self.half();
        Ok((odd as f32 * self.delta) * 0.5)
    }
}

/// The authors' step for `bits`-bit uniform quantization of measurements in `[min, max]`:
/// `Δ = (max − min)/2^Q`, computed in `f32` (the division by a power of two is exact).
///
/// The quantizer of eq. 3–4 is symmetric about 0 whatever the range; this only sets its step.
///
/// Errors: [`Error::InvalidParameter`] unless `bits ∈ 1..=16`; [`Error::NonFinite`] for a
/// non-finite `min` or `max`; [`Error::InvalidParameter`] unless `max > min`, and when
/// `max − min` overflows to `+∞`.
pub fn delta_from_range(min: f32, max: f32, bits: u8) -> Result<f32> {
    check_bits(bits)?;
    Error::check_finite("min", &[min])?;
    Error::check_finite("max", &[max])?;
    if max <= min {
        return Err(Error::InvalidParameter {
            field: "max",
            value: max as f64,
            expected: "max > min (a non-zero range)",
        });
    }
    let range = max - min;
    if !range.is_finite() {
        return Err(Error::InvalidParameter {
            field: "max",
            value: max as f64,
            expected: "max - min finite in f32",
        });
    }
    Ok(range / (1u32 << bits) as f32)
}

/// A scalar quantizer given by caller-provided thresholds and codewords (for example a
/// Lloyd–Max quantizer): `L − 1` strictly increasing finite thresholds `t_1 < … < t_{L−1}`
/// and `L` codewords.
///
/// Code `c` is the number of thresholds `≤ v`, so its bin is `[t_c, t_{c+1})` with
/// `t_0 = −∞` and `t_L = +∞` (eq. 4 with arbitrary thresholds). Encoding is a binary search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdQuantizer<'a> {
    thresholds: &'a [f32],
    codewords: &'a [f32],
}

impl<'a> ThresholdQuantizer<'a> {
    /// A quantizer over `thresholds` (`L − 1` of them) and `codewords` (`L`).
    ///
    /// Errors: [`Error::Empty`] for no thresholds (`L ≥ 2` is required);
    /// [`Error::InvalidParameter`] for more than 65 535 thresholds (`L ≤ 65 536`);
    /// [`Error::NonFinite`] for a non-finite threshold or codeword;
    /// [`Error::InvalidParameter`] (field `"thresholds"`, the offending value) unless the
    /// thresholds are strictly increasing (`−0.0` after `0.0` is not);
    /// [`Error::DimensionMismatch`] unless `codewords.len() == thresholds.len() + 1`;
    /// [`Error::InvalidParameter`] (field `"codewords"`) for a codeword outside its bin
    /// `[t_c, t_{c+1})`.
    pub fn new(thresholds: &'a [f32], codewords: &'a [f32]) -> Result<Self> {
        if thresholds.is_empty() {
            return Err(Error::Empty {
                field: "thresholds",
            });
        }
        if thresholds.len() >= MAX_LEVELS as usize {
            return Err(Error::InvalidParameter {
                field: "thresholds",
                value: thresholds.len() as f64,
                expected: "at most 65535 thresholds (65536 levels)",
            });
        }
        Error::check_finite("thresholds", thresholds)?;
        for pair in thresholds.windows(2) {
            if let [a, b] = pair {
                if a >= b {
                    return Err(Error::InvalidParameter {
                        field: "thresholds",
                        value: *b as f64,
                        expected: "strictly increasing thresholds",
                    });
                }
            }
        }
        Error::check_len("codewords", thresholds.len() + 1, codewords.len())?;
        Error::check_finite("codewords", codewords)?;
        let q = Self {
            thresholds,
            codewords,
        };
        for (c, &w) in codewords.iter().enumerate() {
            // c < 65536 by the length checks above.
            let (lo, hi) = q.interval(c as u16)?;
            if !(lo <= w && w < hi) {
                return Err(Error::InvalidParameter {
                    field: "codewords",
                    value: w as f64,
                    expected: "each codeword inside its bin [t_c, t_{c+1})",
                });
            }
        }
        Ok(q)
    }

    /// The thresholds `t_1 < … < t_{L−1}`.
    pub fn thresholds(&self) -> &'a [f32] {
        self.thresholds
    }

    /// The codewords, one per code.
    pub fn codewords(&self) -> &'a [f32] {
        self.codewords
    }
}

impl Quantizer for ThresholdQuantizer<'_> {
    fn levels(&self) -> u32 {
        self.codewords.len() as u32
    }

    fn bits(&self) -> u8 {
        // ⌈log₂ L⌉ for 2 ≤ L ≤ 65536: the bit length of L − 1.
        let l = self.levels().max(2);
        (u32::BITS - (l - 1).leading_zeros()) as u8
    }

    #[inline]
    fn encode(&self, v: f32) -> Result<u16> {
        if v.is_nan() {
            return Err(Error::NonFinite {
                field: "v",
                index: 0,
            });
        }
        // At most 65535 thresholds, so the count fits in u16.
        Ok(self.thresholds.partition_point(|t| *t <= v) as u16)
    }

    fn interval(&self, code: u16) -> Result<(f32, f32)> {
        let c = usize::from(code);
        if c >= self.codewords.len() {
            return Err(Error::CodeOutOfRange {
                code: u32::from(code),
                levels: self.levels(),
            });
        }
        let lower = match c.checked_sub(1) {
            None => f32::NEG_INFINITY,
            Some(k) => self.thresholds.get(k).copied().unwrap_or(f32::NEG_INFINITY),
        };
        let upper = self.thresholds.get(c).copied().unwrap_or(f32::INFINITY);
        Ok((lower, upper))
    }

    fn codeword(&self, code: u16) -> Result<f32> {
        self.codewords
            .get(usize::from(code))
            .copied()
            .ok_or(Error::CodeOutOfRange {
                code: u32::from(code),
                levels: self.levels(),
            })
    }
}
