//! [`Floats`], a read-only list of `f32` that is either a native slice or unaligned
//! little-endian bytes inside a frame, so a decoded frame can borrow its tables.

use super::wire::read_f32;
use crate::{Error, Result};
use core::fmt;

/// A read-only list of `f32`: either a borrowed `&[f32]` (when encoding) or a borrowed run of
/// little-endian bytes inside a decoded frame (which need not be aligned for `f32`).
#[derive(Clone, Copy)]
pub struct Floats<'a> {
    repr: FloatsRepr<'a>,
}

#[derive(Clone, Copy)]
enum FloatsRepr<'a> {
    Native(&'a [f32]),
    /// Length a multiple of 4.
    LittleEndian(&'a [u8]),
}

impl<'a> Floats<'a> {
    /// A view of `values`.
    pub const fn new(values: &'a [f32]) -> Self {
        Self {
            repr: FloatsRepr::Native(values),
        }
    }

    /// A view of `bytes` as little-endian `f32`s.
    ///
    /// Errors: [`Error::DimensionMismatch`] (field `"bytes"`) unless the length is a
    /// multiple of 4.
    pub fn from_le_bytes(bytes: &'a [u8]) -> Result<Self> {
        Error::check_len("bytes", bytes.len() - bytes.len() % 4, bytes.len())?;
        Ok(Self {
            repr: FloatsRepr::LittleEndian(bytes),
        })
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        match self.repr {
            FloatsRepr::Native(v) => v.len(),
            FloatsRepr::LittleEndian(b) => b.len() / 4,
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<f32> {
        match self.repr {
            FloatsRepr::Native(v) => v.get(index).copied(),
            FloatsRepr::LittleEndian(b) => {
                let start = index.checked_mul(4)?;
                read_f32(b, start).ok()
            }
        }
    }

    /// The values in order.
    pub fn iter(&self) -> FloatsIter<'a> {
        FloatsIter {
            floats: *self,
            index: 0,
        }
    }

    /// Copies the values into `out`.
    ///
    /// Errors: [`Error::DimensionMismatch`] (field `"out"`) unless `out.len() == self.len()`.
    pub fn copy_to(&self, out: &mut [f32]) -> Result<()> {
        Error::check_len("out", self.len(), out.len())?;
        for (o, v) in out.iter_mut().zip(self.iter()) {
            *o = v;
        }
        Ok(())
    }
}

impl<'a> From<&'a [f32]> for Floats<'a> {
    fn from(values: &'a [f32]) -> Self {
        Self::new(values)
    }
}

/// Equal when both hold the same number of values with the same bits.
impl PartialEq for Floats<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl fmt::Debug for Floats<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Floats<'_> {
    fn format(&self, f: defmt::Formatter) {
        defmt::write!(f, "Floats(len = {=usize})", self.len())
    }
}

/// Iterator over the values of a [`Floats`].
#[derive(Debug, Clone)]
pub struct FloatsIter<'a> {
    floats: Floats<'a>,
    index: usize,
}

impl Iterator for FloatsIter<'_> {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        let v = self.floats.get(self.index)?;
        self.index += 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.floats.len().saturating_sub(self.index);
        (left, Some(left))
    }
}

impl ExactSizeIterator for FloatsIter<'_> {}
