//! QCS-SGM sensor firmware for an emulated Cortex-M4F (QEMU `mps2-an386`).
//!
//! Measures compiled-in MNIST digits with `qcs-core`'s sensor pipeline, writes the frames
//! out through semihosting, reconstructs a small one-bit problem on the device (feature
//! `recon`), reports costs and peak stack, and exits QEMU with status 0 only when every step
//! succeeded. No heap: every buffer is a `static` or on the stack. See README.md.
#![no_std]
#![no_main]

#[cfg(feature = "bench")]
mod bench;
mod cost;
mod error;
mod host;
mod out;
#[cfg(feature = "recon")]
mod recon;
mod sensor;
mod stack;

/// The problem size of the sensor jobs, from `build.rs`.
mod config {
    include!(concat!(env!("OUT_DIR"), "/config.rs"));
}

#[cfg(feature = "defmt")]
use defmt_semihosting as _;

use core::panic::PanicInfo;
use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::debug;
pub use error::FwError;
use out::Out;

/// `&'static mut` to a zero-initialized `static` buffer (in `.bss`), at most once.
#[macro_export]
macro_rules! take_static {
    ($t:ty, $init:expr) => {{
        static TAKEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        static mut BUF: $t = $init;
        // load + store in a critical section, not `swap`: Armv6-M (Cortex-M0+) has no atomic
        // read-modify-write instructions.
        let taken = cortex_m::interrupt::free(|_| {
            let taken = TAKEN.load(core::sync::atomic::Ordering::SeqCst);
            TAKEN.store(true, core::sync::atomic::Ordering::SeqCst);
            taken
        });
        if taken {
            Err($crate::FwError::Taken)
        } else {
            // SAFETY: `TAKEN` guarantees this is the only reference ever made to `BUF`.
            Ok(unsafe { &mut *core::ptr::addr_of_mut!(BUF) })
        }
    }};
}

#[entry]
fn main() -> ! {
    stack::paint();
    let status = match Out::open() {
        Err(_) => debug::EXIT_FAILURE,
        Ok(mut out) => match run(&mut out) {
            Ok(()) => debug::EXIT_SUCCESS,
            Err(e) => {
                info!("ERROR {}", e);
                let _ = out.line(format_args!("ERROR {e}"));
                debug::EXIT_FAILURE
            }
        },
    };
    debug::exit(status);
    loop {
        cortex_m::asm::wfi();
    }
}

/// The whole run; any error ends it with a failure exit.
fn run(out: &mut Out) -> Result<(), FwError> {
    let peripherals = cortex_m::Peripherals::take().ok_or(FwError::Taken)?;
    cost::start(peripherals.SYST);
    out.line(format_args!(
        "QCS-FW 1 target={} n={} m={} digits={} structured={} recon={} fast_math={} board={} tick_ps={}",
        env!("QCS_FW_TARGET"),
        config::N,
        config::M,
        config::DIGITS,
        cfg!(feature = "structured"),
        cfg!(feature = "recon"),
        qcs_core::fastmath::FAST_MATH,
        config::BOARD,
        config::TICK_PS,
    ))?;
    // Failure self-tests for the host test: a failing qcs-core call, and a panic.
    #[cfg(feature = "selftest-error")]
    qcs_core::operator::SeededGaussian::new(1, 0, 1, qcs_core::operator::Scaling::Unit)?;
    #[cfg(feature = "selftest-panic")]
    if core::hint::black_box(true) {
        panic!("selftest panic");
    }
    info!("qcs firmware: sensor jobs");
    #[cfg(feature = "bench")]
    bench::run(out)?;
    let buffers = take_static!(sensor::SensorBuffers, sensor::SensorBuffers::new())?;
    let frames = sensor::run(out, buffers)?;
    info!("{} frames written", frames);
    #[cfg(feature = "recon")]
    {
        info!("on-device reconstruction");
        let slab = take_static!(recon::ReconSlab, [0.0; recon::LAYOUT.slab_len()])?;
        recon::run(out, slab)?;
    }
    out.line(format_args!(
        "STACK peak={} top={:08x}",
        stack::high_water(),
        stack::top()
    ))?;
    out.line(format_args!("DONE ok frames={frames}"))?;
    info!("done");
    Ok(())
}

/// Reports the panic and exits QEMU with failure. Only the location and a literal message
/// are printed: formatting the message's arguments would link `core::fmt`'s float
/// formatting (about 10 KiB; `f32::clamp`'s assertion in `UniformQuantizer::encode` formats
/// two `f32`) into every build. The `panic-message` feature prints the full message.
#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    #[cfg(feature = "panic-message")]
    let message = info.message();
    #[cfg(not(feature = "panic-message"))]
    let message = info
        .message()
        .as_str()
        .unwrap_or("(message with arguments; build with --features panic-message)");
    #[cfg(feature = "defmt")]
    defmt::error!(
        "PANIC at {=str}:{=u32}: {}",
        file,
        line,
        defmt::Display2Format(&message)
    );
    #[cfg(not(feature = "defmt"))]
    cortex_m_semihosting::hprintln!("PANIC at {}:{}: {}", file, line, message);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    #[cfg(feature = "defmt")]
    defmt::error!("HARDFAULT pc={=u32:x}", frame.pc());
    #[cfg(not(feature = "defmt"))]
    cortex_m_semihosting::hprintln!("HARDFAULT pc={:08x}", frame.pc());
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
