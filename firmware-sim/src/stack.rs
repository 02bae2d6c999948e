//! Peak stack use by stack painting: [`paint`] fills the free RAM between the end of the
//! static data and the stack pointer with a pattern at boot, [`high_water`] finds the lowest
//! word that no longer holds it.

use core::ptr::{addr_of, read_volatile, write_volatile};

/// The paint.
const PATTERN: u32 = 0xDEAD_BEEF;
/// Bytes below the painter's own stack pointer that it leaves alone.
const MARGIN: usize = 64;

extern "C" {
    /// End of `.bss`/`.uninit` (cortex-m-rt's start of the heap area).
    static __sheap: u32;
    /// Initial stack pointer, the top of RAM (cortex-m-rt).
    static _stack_start: u32;
}

fn bottom() -> usize {
    addr_of!(__sheap) as usize
}

/// The top of the stack (the initial stack pointer).
pub fn top() -> usize {
    addr_of!(_stack_start) as usize
}

/// Paints the unused RAM below the current stack pointer. Call first thing in `main`, before
/// any interrupt is enabled.
#[inline(never)]
pub fn paint() {
    let sp = cortex_m::register::msp::read() as usize;
    let mut p = (bottom() + 3) & !3;
    while p + MARGIN < sp {
        // SAFETY: [bottom, sp − MARGIN) is RAM that holds neither statics (they end at
        // `__sheap`) nor live stack frames (they are above `sp`), and no interrupt is enabled.
        unsafe { write_volatile(p as *mut u32, PATTERN) };
        p += 4;
    }
}

/// The deepest the stack has been since [`paint`], in bytes below [`top`].
pub fn high_water() -> usize {
    let mut p = (bottom() + 3) & !3;
    let top = top();
    // SAFETY: reads of RAM words between the statics and the stack top.
    while p < top && unsafe { read_volatile(p as *const u32) } == PATTERN {
        p += 4;
    }
    top - p
}
