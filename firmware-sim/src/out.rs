//! The firmware's two outputs: log messages ([`info!`](crate::info)) and *data lines*, the
//! text records the host splits (`JOB`, `FRAME`, `COST`, …, one per line, byte strings in
//! lower-case hex).
//!
//! Data lines go to semihosting stdout in the plain build. With the `defmt` feature stdout
//! carries defmt's binary log stream, so data lines go to the host file `qcs-fw.out` instead
//! (created in QEMU's working directory).

use crate::FwError;
use core::fmt::{self, Write};
use cortex_m_semihosting::hio;

/// Longest formatted line (hex payloads are streamed, not formatted).
const LINE_CAP: usize = 256;

/// The sink of the data lines.
pub struct Out {
    stream: hio::HostStream,
}

impl Out {
    /// Opens the sink (semihosting stdout, or `qcs-fw.out` with `defmt`).
    pub fn open() -> Result<Self, FwError> {
        #[cfg(not(feature = "defmt"))]
        let stream = hio::hstdout();
        #[cfg(feature = "defmt")]
        let stream = hio::open("qcs-fw.out\0", cortex_m_semihosting::nr::open::W_TRUNC);
        Ok(Self {
            stream: stream.map_err(|()| FwError::Host)?,
        })
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<(), FwError> {
        self.stream.write_all(bytes).map_err(|()| FwError::Host)
    }

    /// Writes one formatted line (at most 256 bytes) and a newline.
    pub fn line(&mut self, args: fmt::Arguments<'_>) -> Result<(), FwError> {
        let mut s: heapless::String<LINE_CAP> = heapless::String::new();
        s.write_fmt(args)
            .map_err(|_| FwError::Capacity("output line"))?;
        s.push('\n').map_err(|_| FwError::Capacity("output line"))?;
        self.raw(s.as_bytes())
    }

    /// Writes `prefix`, a space, `bytes` in lower-case hex and a newline.
    pub fn hex_line(&mut self, prefix: fmt::Arguments<'_>, bytes: &[u8]) -> Result<(), FwError> {
        let mut s: heapless::String<LINE_CAP> = heapless::String::new();
        s.write_fmt(prefix)
            .map_err(|_| FwError::Capacity("output line"))?;
        s.push(' ').map_err(|_| FwError::Capacity("output line"))?;
        self.raw(s.as_bytes())?;
        self.hex_raw(bytes)?;
        self.raw(b"\n")
    }

    /// Writes `prefix` and the little-endian bytes of every `f32` of `values`, in hex.
    #[cfg(feature = "recon")]
    pub fn f32_line(&mut self, prefix: fmt::Arguments<'_>, values: &[f32]) -> Result<(), FwError> {
        let mut bytes = [0u8; 4 * 64];
        let mut s: heapless::String<LINE_CAP> = heapless::String::new();
        s.write_fmt(prefix)
            .map_err(|_| FwError::Capacity("output line"))?;
        s.push(' ').map_err(|_| FwError::Capacity("output line"))?;
        self.raw(s.as_bytes())?;
        for chunk in values.chunks(64) {
            for (b, v) in bytes.chunks_exact_mut(4).zip(chunk) {
                b.copy_from_slice(&v.to_bits().to_le_bytes());
            }
            self.hex_raw(&bytes[..4 * chunk.len()])?;
        }
        self.raw(b"\n")
    }

    fn hex_raw(&mut self, bytes: &[u8]) -> Result<(), FwError> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 128];
        for chunk in bytes.chunks(buf.len() / 2) {
            for (pair, &b) in buf.chunks_exact_mut(2).zip(chunk) {
                pair[0] = DIGITS[usize::from(b >> 4)];
                pair[1] = DIGITS[usize::from(b & 15)];
            }
            self.raw(&buf[..2 * chunk.len()])?;
        }
        Ok(())
    }
}

/// Logs a message: through defmt with the `defmt` feature, else as a semihosting stdout line
/// starting with `# ` (which the host's line parser ignores).
#[cfg(feature = "defmt")]
#[macro_export]
macro_rules! info {
    ($($t:tt)*) => { defmt::info!($($t)*) };
}

/// Logs a message: through defmt with the `defmt` feature, else as a semihosting stdout line
/// starting with `# ` (which the host's line parser ignores).
#[cfg(not(feature = "defmt"))]
#[macro_export]
macro_rules! info {
    ($($t:tt)*) => { cortex_m_semihosting::hprintln!("# {}", format_args!($($t)*)) };
}
