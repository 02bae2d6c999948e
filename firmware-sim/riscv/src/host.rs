//! RISC-V semihosting: the `slli x0, x0, 0x1f; ebreak; srai x0, x0, 7` sequence with the
//! operation in `a0` and a pointer to its argument block in `a1` (RISC-V semihosting spec).

use core::arch::asm;

/// One semihosting call.
fn call(op: usize, args: &[usize]) -> usize {
    let mut r = op;
    // SAFETY: the host reads `args` (valid for the call) and writes only `a0`.
    unsafe {
        asm!(
            ".balign 16",
            ".option push",
            ".option norvc",
            "slli x0, x0, 0x1f",
            "ebreak",
            "srai x0, x0, 7",
            ".option pop",
            inout("a0") r,
            in("a1") args.as_ptr(),
            options(nostack),
        );
    }
    r
}

/// `SYS_OPEN` of the NUL-terminated `name` in `mode`; the handle, or `None`.
pub fn open(name: &[u8], mode: usize) -> Option<usize> {
    let fd = call(0x01, &[name.as_ptr() as usize, mode, name.len() - 1]);
    (fd as isize != -1).then_some(fd)
}

/// `SYS_WRITE` of `bytes` to `fd`; the number of bytes *not* written.
pub fn write(fd: usize, bytes: &[u8]) -> usize {
    call(0x05, &[fd, bytes.as_ptr() as usize, bytes.len()])
}

/// `SYS_EXIT`: QEMU exits with status 0 for `ADP_Stopped_ApplicationExit`, 1 otherwise.
pub fn exit(success: bool) -> ! {
    let reason = if success { 0x2_0026 } else { 0x2_0023 };
    // On 32-bit targets the argument of SYS_EXIT is the reason code itself.
    let mut r = 0x18usize;
    // SAFETY: ends the emulation.
    unsafe {
        asm!(
            ".balign 16",
            ".option push",
            ".option norvc",
            "slli x0, x0, 0x1f",
            "ebreak",
            "srai x0, x0, 7",
            ".option pop",
            inout("a0") r,
            in("a1") reason,
            options(nostack),
        );
    }
    let _ = r;
    loop {
        core::hint::spin_loop();
    }
}
