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

/// Writes a `qcs-core` error without formatting floats (`Error`'s own `Display` prints the
/// offending value as an `f64`, which links about 10 KiB of float formatting into flash): the
/// value is given as its `f64` bits in hex.
fn write_core_error(f: &mut core::fmt::Formatter<'_>, e: &qcs_core::Error) -> core::fmt::Result {
    use qcs_core::Error as E;
    match *e {
        E::DimensionMismatch {
            field,
            expected,
            found,
        } => write!(f, "`{field}` has length {found}, expected {expected}"),
        E::Empty { field } => write!(f, "`{field}` is empty"),
        E::NonFinite { field, index } => write!(f, "`{field}` non-finite at {index}"),
        E::InvalidParameter {
            field,
            value,
            expected,
        } => write!(
            f,
            "`{field}` = f64 bits {:016x} is invalid: expected {expected}",
            value.to_bits()
        ),
        E::BufferTooSmall {
            field,
            needed,
            available,
        } => write!(f, "buffer `{field}` holds {available}, needs {needed}"),
        E::CodeOutOfRange { code, levels } => {
            write!(f, "code {code} out of range ({levels} levels)")
        }
        E::Finished => f.write_str("sampler finished"),
        _ => f.write_str("other qcs-core error"),
    }
}

impl core::fmt::Display for FwError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FwError::Core(e) => {
                f.write_str("qcs-core: ")?;
                write_core_error(f, e)
            }
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
#[macro_export]
macro_rules! take_static {
    ($t:ty, $init:expr) => {{
        static TAKEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        static mut BUF: $t = $init;
        if TAKEN.swap(true, core::sync::atomic::Ordering::SeqCst) {
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
        "QCS-FW 1 target=thumbv7em-none-eabihf n={} m={} digits={} structured={} recon={} instructions_per_tick={}",
        config::N,
        config::M,
        config::DIGITS,
        cfg!(feature = "structured"),
        cfg!(feature = "recon"),
        cost::INSTRUCTIONS_PER_TICK,
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
        let store = take_static!(recon::ReconStorage, recon::ReconStorage::new())?;
        recon::run(out, store)?;
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
