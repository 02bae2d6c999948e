//! The firmware's error type (shared with the RISC-V build, `riscv/`).

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
        E::Diverged { level, step, beta } => write!(
            f,
            "sampler diverged at level {level} step {step} (beta f32 bits {:08x})",
            beta.to_bits()
        ),
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
