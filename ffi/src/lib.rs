//! # qcs-ffi
//!
//! The C API of [`qcs_core`]: a thin, allocation-free `extern "C"` layer for sensor firmware
//! and gateways written in C, built as a static library (`libqcs_ffi.a`) with the header
//! `include/qcs.h` that cbindgen generates from this crate.
//!
//! | part | functions |
//! |---|---|
//! | the sensor, `y = Q(Ax + n)` → frame | [`qcs_sensor_frame_size`], [`qcs_sensor_workspace_size`], [`qcs_sensor_measure`] |
//! | frame inspection and decoding | [`qcs_frame_peek_len`], [`qcs_frame_decode`], [`qcs_frame_codes`], [`qcs_frame_values`], [`qcs_frame_threshold_table`] |
//! | the quantizer and code packing | [`qcs_uniform_quantize`], [`qcs_uniform_codeword`], [`qcs_uniform_interval`], [`qcs_threshold_quantize`], [`qcs_packed_len`], [`qcs_pack_codes`], [`qcs_unpack_codes`] |
//! | status codes | [`QcsStatus`], [`qcs_status_message`] |
//!
//! Every function returns a [`QcsStatus`]; nothing panics across the boundary. Null
//! pointers, misaligned pointers, short buffers and bad settings each get their own code, and
//! on any error no output is written (out-parameters and buffers keep their contents, except
//! the sensor's scratch workspace). No function writes past the length it is given.
//!
//! The code of this crate uses only `core` (`#![no_std]`, no allocation). On hosted targets
//! std is linked for its panic runtime (so that the static library links into a C program);
//! on bare-metal targets (`target_os = "none"`) the feature `panic-handler` provides a
//! handler that calls the C library's `abort()`, and without it the final binary brings its
//! own (a Rust firmware using the rlib).
#![no_std]
// Raw pointers from C: every `unsafe` block below states why it is sound.
#![allow(unsafe_code)]
#![deny(missing_docs)]

#[cfg(not(target_os = "none"))]
extern crate std;

mod frame;
mod ptr;
mod quantizer;
mod sensor;
mod status;

pub use frame::{
    qcs_frame_codes, qcs_frame_decode, qcs_frame_peek_len, qcs_frame_threshold_table,
    qcs_frame_values, QcsFrameInfo, QCS_FRAME_CRC_LEN, QCS_FRAME_HEADER_LEN, QCS_FRAME_PREFIX_LEN,
    QCS_FRAME_VERSION,
};
pub use quantizer::{
    qcs_pack_codes, qcs_packed_len, qcs_threshold_quantize, qcs_uniform_codeword,
    qcs_uniform_interval, qcs_uniform_quantize, qcs_unpack_codes, QCS_MAX_BITS,
};
pub use sensor::{
    qcs_sensor_frame_size, qcs_sensor_measure, qcs_sensor_workspace_size, QcsSensorSettings,
    QCS_OPERATOR_SEEDED, QCS_OPERATOR_STRUCTURED, QCS_QUANTIZER_THRESHOLDS, QCS_QUANTIZER_UNIFORM,
    QCS_QUANTIZER_UNQUANTIZED, QCS_SCALING_PER_MEASUREMENT, QCS_SCALING_UNIT,
    QCS_SCALING_UNIT_ROWS,
};
pub use status::{qcs_status_message, QcsStatus};

/// On bare metal with the `panic-handler` feature: calls the C library's `abort()`. No
/// input through the API panics (qcs-core returns errors; the tests drive every function
/// with arbitrary settings), so this is a last resort, not a path the API takes.
#[cfg(all(feature = "panic-handler", target_os = "none"))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    extern "C" {
        fn abort() -> !;
    }
    // SAFETY: `abort` is the C library's function of that name, which takes no arguments
    // and does not return; the static library is linked into a C program that provides it.
    unsafe { abort() }
}
