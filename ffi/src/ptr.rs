//! Checked conversions of C pointers and lengths into Rust references.

use crate::QcsStatus;

/// Checks that `ptr` is non-null, aligned for `T`, and that `len` elements fit in `isize`.
fn check<T>(ptr: *const T, len: usize) -> Result<(), QcsStatus> {
    if ptr.is_null() {
        return Err(QcsStatus::NullPointer);
    }
    if !(ptr as usize).is_multiple_of(core::mem::align_of::<T>()) {
        return Err(QcsStatus::Misaligned);
    }
    if len
        .checked_mul(core::mem::size_of::<T>())
        .is_none_or(|bytes| bytes > isize::MAX as usize)
    {
        return Err(QcsStatus::InvalidParameter);
    }
    Ok(())
}

/// The slice of `len` elements at `ptr`.
///
/// # Safety
///
/// When `ptr` is non-null it must point to `len` initialized `T` that stay valid and are not
/// written for `'a` (the C caller's contract, stated in each function's documentation).
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], QcsStatus> {
    check(ptr, len)?;
    // SAFETY: non-null and aligned (checked), `len · size_of::<T>() ≤ isize::MAX` (checked),
    // and the caller guarantees `len` valid elements for `'a`.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// The mutable slice of `len` elements at `ptr`.
///
/// # Safety
///
/// When `ptr` is non-null it must point to `len` writable `T` that no other reference
/// aliases for `'a` (the C caller's contract).
pub(crate) unsafe fn slice_mut<'a, T>(ptr: *mut T, len: usize) -> Result<&'a mut [T], QcsStatus> {
    check(ptr.cast_const(), len)?;
    // SAFETY: as in `slice`, and the caller guarantees exclusive access for `'a`.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// The value at `ptr`.
///
/// # Safety
///
/// When `ptr` is non-null it must point to a valid `T` for `'a`.
pub(crate) unsafe fn reference<'a, T>(ptr: *const T) -> Result<&'a T, QcsStatus> {
    check(ptr, 1)?;
    // SAFETY: non-null and aligned (checked); the caller guarantees a valid `T`.
    Ok(unsafe { &*ptr })
}

/// Writes `value` to the out-parameter `ptr` (checked non-null and aligned by `check_out`).
///
/// # Safety
///
/// `ptr` must have passed [`check_out`] and point to writable memory for a `T`.
pub(crate) unsafe fn write<T>(ptr: *mut T, value: T) {
    // SAFETY: non-null and aligned (`check_out`); the caller guarantees it is writable.
    unsafe { ptr.write(value) }
}

/// Checks an out-parameter before anything is computed, so that no work is done for a call
/// that cannot report its result.
pub(crate) fn check_out<T>(ptr: *mut T) -> Result<(), QcsStatus> {
    check(ptr.cast_const(), 1)
}
