//! A 64-bit tick counter on SysTick (core clock, 24-bit down-counter, one interrupt per wrap).
//!
//! Under QEMU with `-icount shift=0` every instruction advances virtual time by 1 ns and
//! SysTick counts the board's core clock (mps2-an386: 25 MHz, mps2-an505: 20 MHz, microbit:
//! 16 MHz; `config::TICK_PS`), so `ticks × TICK_PS / 1000` is a deterministic **instruction
//! count** (not a cycle count): 40, 50 and 62.5 instructions per tick. Without `-icount` the
//! ticks follow host time and mean nothing.

use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::{syst::SystClkSource, SCB, SYST};
use cortex_m_rt::exception;

/// Reload value: the full 24-bit range.
const RELOAD: u32 = 0x00FF_FFFF;

/// Completed wraps of the counter.
static WRAPS: AtomicU32 = AtomicU32::new(0);

/// Starts SysTick from the core clock with the wrap interrupt on.
pub fn start(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Ticks since [`start`].
pub fn ticks() -> u64 {
    loop {
        let wraps = WRAPS.load(Ordering::SeqCst);
        let current = SYST::get_current();
        // A wrap whose interrupt has not been taken yet: the counter restarted from RELOAD.
        let pending = SCB::is_pendst_pending() && current > RELOAD / 2;
        if WRAPS.load(Ordering::SeqCst) == wraps {
            let wraps = u64::from(wraps) + u64::from(pending);
            return wraps * (u64::from(RELOAD) + 1) + u64::from(RELOAD - current);
        }
    }
}

#[exception]
fn SysTick() {
    // The handler is the only writer and does not preempt itself, so load + store is enough
    // (and builds for Armv6-M, which has no atomic read-modify-write).
    WRAPS.store(
        WRAPS.load(Ordering::SeqCst).wrapping_add(1),
        Ordering::SeqCst,
    );
}
