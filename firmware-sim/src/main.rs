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
use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, Ordering};
use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::debug;
use out::Out;

/// Everything that can stop the firmware.
#[derive(Debug)]
pub enum FwError {
    /// A `qcs-core` call failed.
    Core(qcs_core::Error),
    /// A semihosting call failed.
    Host,
    /// A fixed-capacity buffer was too small.
    Capacity(&'static str),
    /// A peripheral or buffer was taken twice.
    Taken,
}

impl From<qcs_core::Error> for FwError {
    fn from(e: qcs_core::Error) -> Self {
        FwError::Core(e)
    }
}

impl From<qcs_core::langevin::SampleError<qcs_core::Error>> for FwError {
    fn from(e: qcs_core::langevin::SampleError<qcs_core::Error>) -> Self {
        match e {
            qcs_core::langevin::SampleError::Core(e)
            | qcs_core::langevin::SampleError::Prior(e) => FwError::Core(e),
        }
    }
}

impl core::fmt::Display for FwError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FwError::Core(e) => write!(f, "qcs-core: {e}"),
            FwError::Host => f.write_str("semihosting call failed"),
            FwError::Capacity(what) => write!(f, "capacity of `{what}` exceeded"),
            FwError::Taken => f.write_str("taken twice"),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for FwError {
    fn format(&self, f: defmt::Formatter) {
        match self {
            FwError::Core(e) => defmt::write!(f, "qcs-core: {}", e),
            FwError::Host => defmt::write!(f, "semihosting call failed"),
            FwError::Capacity(what) => defmt::write!(f, "capacity of `{=str}` exceeded", what),
            FwError::Taken => defmt::write!(f, "taken twice"),
        }
    }
}

/// `&'static mut` to a zero-initialized `static` buffer (in `.bss`), at most once.
macro_rules! take_static {
    ($t:ty, $init:expr) => {{
        static TAKEN: AtomicBool = AtomicBool::new(false);
        static mut BUF: $t = $init;
        if TAKEN.swap(true, Ordering::SeqCst) {
            Err(FwError::Taken)
        } else {
            // SAFETY: `TAKEN` guarantees this is the only reference ever made to `BUF`.
            Ok(unsafe { &mut *addr_of_mut!(BUF) })
        }
    }};
}

#[entry]
fn main() -> ! {
    stack::paint();
    let status = match run() {
        Ok(()) => debug::EXIT_SUCCESS,
        Err(e) => {
            info!("ERROR {}", e);
            if let Ok(mut out) = Out::open() {
                let _ = out.line(format_args!("ERROR {e}"));
            }
            debug::EXIT_FAILURE
        }
    };
    debug::exit(status);
    loop {
        cortex_m::asm::wfi();
    }
}

/// The whole run; any error ends it with a failure exit.
fn run() -> Result<(), FwError> {
    let peripherals = cortex_m::Peripherals::take().ok_or(FwError::Taken)?;
    cost::start(peripherals.SYST);
    let mut out = Out::open()?;
    out.line(format_args!(
        "QCS-FW 1 target=thumbv7em-none-eabihf n={} m={} digits={} structured={} recon={} instructions_per_tick={}",
        config::N,
        config::M,
        config::DIGITS,
        cfg!(feature = "structured"),
        cfg!(feature = "recon"),
        cost::INSTRUCTIONS_PER_TICK,
    ))?;
    info!("qcs firmware: sensor jobs");
    #[cfg(feature = "bench")]
    bench::run(&mut out)?;
    let buffers = take_static!(sensor::SensorBuffers, sensor::SensorBuffers::new())?;
    let frames = sensor::run(&mut out, buffers)?;
    info!("{} frames written", frames);
    #[cfg(feature = "recon")]
    {
        info!("on-device reconstruction");
        let store = take_static!(recon::ReconStorage, recon::ReconStorage::new())?;
        recon::run(&mut out, store)?;
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

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    #[cfg(feature = "defmt")]
    defmt::error!("PANIC {}", defmt::Display2Format(info));
    #[cfg(not(feature = "defmt"))]
    cortex_m_semihosting::hprintln!("PANIC {}", info);
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
