//! The sensor jobs of `firmware-sim` on an emulated RV32IMAC (QEMU `virt`): the same
//! `sensor.rs`, `out.rs` and `error.rs`, compiled for a core without an FPU (every `f32`
//! operation in software), so the test can check that its frames equal the Cortex-M4F's and
//! the host's bit for bit. No heap, no runtime crate: `_start` below sets the stack, clears
//! `.bss` and calls [`main`]. The same source builds for `riscv32imafc-unknown-none-elf`
//! (hardware single-precision float; `_start` turns the FPU on), with the same frames.
#![no_std]
#![no_main]

#[path = "../../src/error.rs"]
mod error;
mod host;
#[path = "../../src/out.rs"]
mod out;
#[path = "../../src/sensor.rs"]
mod sensor;

pub use error::FwError;

/// The problem size of the sensor jobs (firmware-sim's defaults).
mod config {
    /// Signal dimension `N`.
    pub const N: usize = 784;
    /// Measurements `M` per frame.
    pub const M: usize = 200;
    /// How many of the compiled-in digits are measured.
    pub const DIGITS: usize = 4;
}

/// No cycle counter is read here: costs are measured on the Cortex-M4F.
mod cost {
    /// Always 0.
    pub fn ticks() -> u64 {
        0
    }
}

core::arch::global_asm!(
    r#"
    .section .text.start, "ax"
    .global _start
_start:
    la sp, _stack_top
    # mstatus.FS = dirty: the FPU on (riscv32imafc). FS is a WARL field, hardwired to 0 on a
    # core without F (riscv32imac), where this does nothing.
    li t0, 0x6000
    csrs mstatus, t0
    la t0, __sbss
    la t1, __ebss
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:  call main
3:  j 3b
"#
);

/// The sensor buffers, in `.bss`.
static mut BUFFERS: sensor::SensorBuffers = sensor::SensorBuffers::new();

/// Runs the sensor jobs and exits with their status.
#[no_mangle]
extern "C" fn main() -> ! {
    let ok = match out::Out::open() {
        Err(_) => false,
        Ok(mut out) => {
            // SAFETY: the only reference ever made to BUFFERS (single hart, called once).
            let buffers = unsafe { &mut *core::ptr::addr_of_mut!(BUFFERS) };
            let result = out
                .line(format_args!(
                    "QCS-FW 1 target={} n={} m={} digits={}",
                    env!("QCS_FW_TARGET"),
                    config::N,
                    config::M,
                    config::DIGITS
                ))
                .and_then(|()| sensor::run(&mut out, buffers));
            match result {
                Ok(frames) => out.line(format_args!("DONE ok frames={frames}")).is_ok(),
                Err(e) => {
                    let _ = out.line(format_args!("ERROR {e}"));
                    false
                }
            }
        }
    };
    host::exit(ok)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    if let Ok(mut out) = out::Out::open() {
        let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
        let message = info
            .message()
            .as_str()
            .unwrap_or("(message with arguments)");
        let _ = out.line(format_args!("PANIC at {file}:{line}: {message}"));
    }
    host::exit(false)
}
