//! The sensor: settings → `y = Q(Ax + n)` → a measurement frame in the caller's buffer.

use crate::ptr;
use crate::status::status_of;
use crate::QcsStatus;
use core::ffi::c_void;
use qcs_core::frame::{
    self, scaling_from_code, Floats, FrameHeader, FrameOperator, OperatorKind, OperatorSpec,
    QuantizerKind, QuantizerSpec, SignalShape,
};
use qcs_core::operator::SensingOperator;
use qcs_core::quantizer::{ThresholdQuantizer, UniformQuantizer, MAX_BITS};
use qcs_core::rng::stream_rng;
use qcs_core::sensor;

/// `operator_kind`: the seeded Gaussian operator, i.i.d. `N(0, 1/M)` rows regenerated from
/// the seed (frame code 1).
pub const QCS_OPERATOR_SEEDED: u32 = 1;
/// `operator_kind`: the structured operator, random signs, fast Walsh–Hadamard transforms and
/// a seeded row subset (frame code 2; needs `4·N` bytes more workspace).
pub const QCS_OPERATOR_STRUCTURED: u32 = 2;
/// `scaling`: entries of variance `1/M` (frame code 0, the paper's `A`).
pub const QCS_SCALING_PER_MEASUREMENT: u32 = 0;
/// `scaling`: entries of unit variance (frame code 1).
pub const QCS_SCALING_UNIT: u32 = 1;
/// `scaling`: entries of variance `1/N`, rows of unit expected norm (frame code 2).
pub const QCS_SCALING_UNIT_ROWS: u32 = 2;
/// `quantizer_kind`: the uniform `Q`-bit quantizer with step `Δ` (`Q = 1`: sign).
pub const QCS_QUANTIZER_UNIFORM: u32 = 1;
/// `quantizer_kind`: `2^Q` levels from a table of thresholds and codewords.
pub const QCS_QUANTIZER_THRESHOLDS: u32 = 2;
/// `quantizer_kind`: no quantizer; the frame carries `y = Ax + n` as `float`.
pub const QCS_QUANTIZER_UNQUANTIZED: u32 = 3;

/// What a sensor measures and how: the signal shape, the operator, the quantizer, the noise
/// and the frame counter. Every field is checked by each function that takes it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct QcsSensorSettings {
    /// The signal dimension `N` (1 ..= 2^26).
    pub n: u32,
    /// Image height, or 0 when the signal is not an image (then width and channels are 0 too).
    pub height: u32,
    /// Image width, or 0.
    pub width: u32,
    /// Image channels, or 0. For an image, height · width · channels = N.
    pub channels: u32,
    /// The number of measurements `M` (1 ..= 2^24).
    pub m: u32,
    /// `QCS_OPERATOR_SEEDED` or `QCS_OPERATOR_STRUCTURED`.
    pub operator_kind: u32,
    /// `QCS_SCALING_PER_MEASUREMENT`, `QCS_SCALING_UNIT` or `QCS_SCALING_UNIT_ROWS`.
    pub scaling: u32,
    /// The operator's 64-bit seed.
    pub operator_seed: u64,
    /// `QCS_QUANTIZER_UNIFORM`, `QCS_QUANTIZER_THRESHOLDS` or `QCS_QUANTIZER_UNQUANTIZED`.
    pub quantizer_kind: u32,
    /// Bits per code `Q` (1 ..= 16) of a uniform or threshold quantizer; ignored when
    /// unquantized.
    pub bits: u32,
    /// The uniform quantizer's step `Δ` (finite, > 0; for `Q = 1` use 2, as the sign
    /// quantizer of the Rust API stores it); ignored for the other kinds.
    pub delta: f32,
    /// Threshold quantizer: `2^Q − 1` strictly increasing finite thresholds (otherwise
    /// ignored, may be null).
    pub thresholds: *const f32,
    /// Threshold quantizer: `2^Q` finite codewords, each inside its bin (otherwise ignored,
    /// may be null).
    pub codewords: *const f32,
    /// The noise standard deviation `σ` (finite, ≥ 0; 0 draws no noise).
    pub sigma: f32,
    /// The seed of the noise generator (`qcs_core::rng::stream_rng(noise_seed, noise_stream)`).
    pub noise_seed: u64,
    /// The stream of the noise generator (the Rust firmware uses the job index).
    pub noise_stream: u64,
    /// The frame counter written into the frame.
    pub counter: u32,
}

/// The checked settings: the frame header and the sizes the sensor needs.
struct Plan<'a> {
    header: FrameHeader<'a>,
    /// `f32` of operator scratch.
    scratch: usize,
    /// Bytes of workspace: `y` (`4M`), scratch, codes (`4·⌈M/2⌉`).
    workspace: usize,
    /// Bytes of the frame.
    frame_len: usize,
}

/// A `u32` kind code as the `u8` of a frame (larger values are unknown kinds).
fn code_u8(code: u32) -> u8 {
    u8::try_from(code).unwrap_or(u8::MAX)
}

/// Checks every setting and computes the header and sizes.
///
/// # Safety
///
/// For a threshold quantizer with `1 ≤ bits ≤ 16`, non-null `thresholds` and `codewords`
/// must point to `2^bits − 1` and `2^bits` floats that live for `'a`.
unsafe fn plan(s: &QcsSensorSettings) -> Result<Plan<'_>, QcsStatus> {
    let kind = QuantizerKind::from_code(code_u8(s.quantizer_kind))?;
    let bits = match kind {
        QuantizerKind::Unquantized => 0,
        _ => match u8::try_from(s.bits) {
            Ok(b) if (1..=MAX_BITS).contains(&b) => b,
            _ => return Err(QcsStatus::InvalidParameter),
        },
    };
    let quantizer = match kind {
        QuantizerKind::Uniform => QuantizerSpec::Uniform {
            bits,
            delta: s.delta,
        },
        QuantizerKind::Thresholds => {
            let levels = 1usize << bits;
            // SAFETY: the caller's contract for a threshold quantizer (`bits` is 1..=16 here).
            let thresholds = unsafe { ptr::slice(s.thresholds, levels - 1)? };
            // SAFETY: as above.
            let codewords = unsafe { ptr::slice(s.codewords, levels)? };
            // Checks the table as the quantizer will use it.
            ThresholdQuantizer::new(thresholds, codewords)?;
            QuantizerSpec::Thresholds {
                bits,
                thresholds: Floats::new(thresholds),
                codewords: Floats::new(codewords),
            }
        }
        QuantizerKind::Unquantized => QuantizerSpec::Unquantized,
    };
    let operator = OperatorSpec {
        kind: OperatorKind::from_code(code_u8(s.operator_kind))?,
        seed: s.operator_seed,
        scaling: scaling_from_code(code_u8(s.scaling))?,
    };
    if operator.kind == OperatorKind::Dense {
        return Err(QcsStatus::KindMismatch);
    }
    let header = FrameHeader {
        signal: SignalShape {
            n: s.n,
            height: s.height,
            width: s.width,
            channels: s.channels,
        },
        measurements: s.m,
        quantizer,
        sigma: s.sigma,
        operator,
        counter: s.counter,
    };
    header.validate()?;
    let frame_len = header.encoded_len()?;
    let op = header.operator()?;
    let scratch = op.scratch_len();
    let m = header.m();
    // `y` and the scratch as `f32`, the codes as `u16` in whole 4-byte words.
    let workspace = m
        .checked_add(scratch)
        .and_then(|words| words.checked_add(m.div_ceil(2)))
        .and_then(|words| words.checked_mul(4))
        .ok_or(QcsStatus::InvalidParameter)?;
    Ok(Plan {
        header,
        scratch,
        workspace,
        frame_len,
    })
}

/// Writes to `*frame_size` the length in bytes of the frame that [`qcs_sensor_measure`]
/// writes for `settings` (`56 + table + payload + 4`; 85 for N = 784, M = 200, one bit).
///
/// Errors: `QCS_STATUS_NULL_POINTER` (`settings`, `frame_size`, or a threshold table
/// pointer), `QCS_STATUS_MISALIGNED`, and the settings' errors: `QCS_STATUS_UNKNOWN_KIND`,
/// `QCS_STATUS_KIND_MISMATCH` (operator kind 3, dense), `QCS_STATUS_INVALID_PARAMETER`,
/// `QCS_STATUS_INCONSISTENT_SHAPE`, `QCS_STATUS_NON_FINITE`.
///
/// # Safety
///
/// `settings` must be null or point to a valid `QcsSensorSettings` whose threshold
/// pointers (threshold quantizer) are null or point to their `2^Q − 1` / `2^Q` floats;
/// `frame_size` must be null or point to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn qcs_sensor_frame_size(
    settings: *const QcsSensorSettings,
    frame_size: *mut usize,
) -> QcsStatus {
    status_of((|| {
        ptr::check_out(frame_size)?;
        // SAFETY: the caller's contract on `settings`.
        let settings = unsafe { ptr::reference(settings)? };
        // SAFETY: the caller's contract on the threshold pointers.
        let plan = unsafe { plan(settings)? };
        // SAFETY: `frame_size` passed `check_out`; the caller guarantees it is writable.
        unsafe { ptr::write(frame_size, plan.frame_len) };
        Ok(())
    })())
}

/// Writes to `*workspace_size` the bytes of scratch memory [`qcs_sensor_measure`] needs for
/// `settings`: `4·M + 4·⌈M/2⌉` (`6·M` for an even `M`), plus `4·N` for the structured
/// operator (1200 bytes for N = 784, M = 200 and the seeded operator). The workspace must be
/// aligned to 4 bytes.
///
/// Errors: as [`qcs_sensor_frame_size`].
///
/// # Safety
///
/// As [`qcs_sensor_frame_size`], with `workspace_size` for `frame_size`.
#[no_mangle]
pub unsafe extern "C" fn qcs_sensor_workspace_size(
    settings: *const QcsSensorSettings,
    workspace_size: *mut usize,
) -> QcsStatus {
    status_of((|| {
        ptr::check_out(workspace_size)?;
        // SAFETY: the caller's contract on `settings`.
        let settings = unsafe { ptr::reference(settings)? };
        // SAFETY: the caller's contract on the threshold pointers.
        let plan = unsafe { plan(settings)? };
        // SAFETY: `workspace_size` passed `check_out`; the caller guarantees it is writable.
        unsafe { ptr::write(workspace_size, plan.workspace) };
        Ok(())
    })())
}

/// Measures the signal `x` (`x_len = N` floats) as `settings` says, `y = Q(Ax + n)` with
/// the noise `n ~ N(0, σ²I)` from `stream_rng(noise_seed, noise_stream)`, and writes the
/// measurement frame to `frame` (capacity `frame_cap` bytes); its length goes to
/// `*frame_len`. The result is bit-identical to `qcs_core::sensor::measure` followed by
/// `qcs_core::frame::encode_codes` (or `encode_values` when unquantized) on any target.
///
/// `workspace` is scratch memory of `workspace_len` bytes, at least
/// [`qcs_sensor_workspace_size`], aligned to 4 bytes; its contents afterwards are
/// unspecified. Bytes of `frame` after the frame are never written; on error `frame` and
/// `*frame_len` are unchanged.
///
/// Errors: those of [`qcs_sensor_frame_size`]; `QCS_STATUS_NULL_POINTER` (`x`, `workspace`,
/// `frame`, `frame_len`); `QCS_STATUS_MISALIGNED` (`x`, `workspace`);
/// `QCS_STATUS_DIMENSION_MISMATCH` unless `x_len = N`; `QCS_STATUS_NON_FINITE` for a NaN
/// or infinite `x`; `QCS_STATUS_BUFFER_TOO_SMALL` for a short `workspace` or `frame`.
///
/// # Safety
///
/// `settings` as in [`qcs_sensor_frame_size`]; `x` null or `x_len` readable floats;
/// `workspace` null or `workspace_len` writable bytes; `frame` null or `frame_cap` writable
/// bytes; `frame_len` null or a writable `size_t`; the buffers must not overlap.
#[no_mangle]
pub unsafe extern "C" fn qcs_sensor_measure(
    settings: *const QcsSensorSettings,
    x: *const f32,
    x_len: usize,
    workspace: *mut c_void,
    workspace_len: usize,
    frame: *mut u8,
    frame_cap: usize,
    frame_len: *mut usize,
) -> QcsStatus {
    status_of((|| {
        ptr::check_out(frame_len)?;
        // SAFETY: the caller's contract on `settings`.
        let settings = unsafe { ptr::reference(settings)? };
        // SAFETY: the caller's contract on the threshold pointers.
        let plan = unsafe { plan(settings)? };
        // SAFETY: `x` is null or `x_len` readable floats (caller's contract).
        let x = unsafe { ptr::slice(x, x_len)? };
        // SAFETY: `workspace` is null or `workspace_len` writable bytes (caller's contract);
        // viewed as `u32` words, so it must be 4-aligned (checked).
        let words = unsafe { ptr::slice_mut(workspace.cast::<u32>(), workspace_len / 4)? };
        // SAFETY: `frame` is null or `frame_cap` writable bytes (caller's contract).
        let out = unsafe { ptr::slice_mut(frame, frame_cap)? };
        if x.len() != plan.header.n() {
            return Err(QcsStatus::DimensionMismatch);
        }
        if words.len() * 4 < plan.workspace || out.len() < plan.frame_len {
            return Err(QcsStatus::BufferTooSmall);
        }
        let m = plan.header.m();
        let (y_words, rest) = words.split_at_mut(m);
        let (scratch_words, code_words) = rest.split_at_mut(plan.scratch);
        let code_words = code_words
            .get_mut(..m.div_ceil(2))
            .ok_or(QcsStatus::BufferTooSmall)?;
        // SAFETY: `u32` and `f32` have the same size and alignment and every bit pattern is
        // a valid `f32`; the words are borrowed exclusively from `workspace`.
        let y = unsafe { core::slice::from_raw_parts_mut(y_words.as_mut_ptr().cast::<f32>(), m) };
        // SAFETY: as for `y`.
        let scratch = unsafe {
            core::slice::from_raw_parts_mut(
                scratch_words.as_mut_ptr().cast::<f32>(),
                scratch_words.len(),
            )
        };
        // SAFETY: `m` `u16` occupy `2m ≤ 4·⌈m/2⌉` bytes of `code_words`, whose alignment (4)
        // exceeds that of `u16`; every bit pattern is a valid `u16`.
        let codes =
            unsafe { core::slice::from_raw_parts_mut(code_words.as_mut_ptr().cast::<u16>(), m) };
        let len = measure(settings, &plan.header, x, y, codes, scratch, out)?;
        // SAFETY: `frame_len` passed `check_out`; the caller guarantees it is writable.
        unsafe { ptr::write(frame_len, len) };
        Ok(())
    })())
}

/// The measurement and the frame, in safe code.
fn measure(
    settings: &QcsSensorSettings,
    header: &FrameHeader<'_>,
    x: &[f32],
    y: &mut [f32],
    codes: &mut [u16],
    scratch: &mut [f32],
    out: &mut [u8],
) -> Result<usize, QcsStatus> {
    let op: FrameOperator = header.operator()?;
    let mut noise = stream_rng(settings.noise_seed, settings.noise_stream);
    let sigma = header.sigma;
    let len = match header.quantizer {
        QuantizerSpec::Uniform { bits, delta } => {
            let q = UniformQuantizer::new(bits, delta)?;
            sensor::measure(&op, x, sigma, &mut noise, &q, y, codes, scratch)?;
            frame::encode_codes(header, codes, out)?
        }
        QuantizerSpec::Thresholds { bits, .. } => {
            let levels = 1usize << bits;
            // SAFETY: `plan` read the same pointers with these lengths, under the caller's
            // contract, and they are still valid for this call.
            let (t, c) = unsafe {
                (
                    ptr::slice(settings.thresholds, levels - 1)?,
                    ptr::slice(settings.codewords, levels)?,
                )
            };
            let q = ThresholdQuantizer::new(t, c)?;
            sensor::measure(&op, x, sigma, &mut noise, &q, y, codes, scratch)?;
            frame::encode_codes(header, codes, out)?
        }
        QuantizerSpec::Unquantized => {
            sensor::measure_linear(&op, x, sigma, &mut noise, y, scratch)?;
            frame::encode_values(header, y, out)?
        }
    };
    Ok(len)
}
