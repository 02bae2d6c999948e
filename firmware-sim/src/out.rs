//! The firmware's two outputs: log messages ([`info!`](crate::info)) and *data lines*, the
//! text records the host splits (`JOB`, `FRAME`, `COST`, …, one per line, byte strings in
//! lower-case hex).
//!
//! Data lines go to semihosting stdout in the plain build. With the `defmt` feature stdout
//! carries defmt's binary log stream, so data lines go to the host file `qcs-fw.out` instead
//! (created in QEMU's working directory).

use crate::host;
use crate::FwError;
use core::fmt::{self, Write};

/// Longest formatted line (hex payloads are streamed, not formatted).
const LINE_CAP: usize = 256;

/// Where the data lines go: `:tt` is semihosting's name for the host's stdout.
#[cfg(not(feature = "defmt"))]
const SINK: &str = ":tt\0";
/// Where the data lines go: a host file, since stdout carries the defmt stream.
#[cfg(feature = "defmt")]
const SINK: &str = "qcs-fw.out\0";

/// The sink of the data lines (a semihosting file handle).
pub struct Out {
    fd: usize,
}

impl Out {
    /// Opens the sink (semihosting stdout, or the host file `qcs-fw.out` with `defmt`),
    /// truncating it.
    pub fn open() -> Result<Self, FwError> {
        // Mode 4 is "w" (write, truncate) in the semihosting `SYS_OPEN` table.
        let fd = host::open(SINK.as_bytes(), 4).ok_or(FwError::Host)?;
        Ok(Self { fd })
    }

    fn raw(&mut self, mut bytes: &[u8]) -> Result<(), FwError> {
        while !bytes.is_empty() {
            let left = host::write(self.fd, bytes);
            if left > bytes.len() {
                return Err(FwError::Host);
            }
            bytes = &bytes[bytes.len() - left..];
        }
        Ok(())
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
