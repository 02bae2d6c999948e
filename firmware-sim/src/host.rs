//! Semihosting file calls on Arm (`bkpt 0xAB`, through `cortex-m-semihosting`). The RISC-V
//! build (`riscv/`) has its own `host.rs` with the same two functions.

use cortex_m_semihosting::syscall;

/// `SYS_OPEN` of the NUL-terminated `name` in `mode`; the handle, or `None`.
pub fn open(name: &[u8], mode: usize) -> Option<usize> {
    // SAFETY: SYS_OPEN reads `name.len() - 1` bytes of the NUL-terminated name.
    let fd = unsafe { syscall!(OPEN, name.as_ptr(), mode, name.len() - 1) };
    (fd as isize != -1).then_some(fd)
}

/// `SYS_WRITE` of `bytes` to `fd`; the number of bytes *not* written.
pub fn write(fd: usize, bytes: &[u8]) -> usize {
    // SAFETY: SYS_WRITE reads `bytes.len()` bytes from `bytes`.
    unsafe { syscall!(WRITE, fd, bytes.as_ptr(), bytes.len()) }
}
