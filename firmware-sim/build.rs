//! Puts the board's memory map (`memory/<board>.x`) on the linker path as `memory.x`, adds defmt's linker script when the `defmt` feature is
//! on, and turns the problem size (`QCS_FW_N`, `QCS_FW_M`, `QCS_FW_DIGITS`, read at build
//! time) into the constants of `config.rs`.
use std::env;
use std::fs;
use std::path::PathBuf;

fn var(name: &str, default: usize) -> usize {
    println!("cargo:rerun-if-env-changed={name}");
    match env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a non-negative integer")),
        Err(_) => default,
    }
}

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    // The memory map of the QEMU board that runs the target: mps2-an386 (Cortex-M4F) or
    // mps2-an505 (Cortex-M33) or microbit (Cortex-M0, standing in for the M0+). No `memory.x` lies in the crate root: the linker would find it
    // there (its working directory) before this copy. The target's name goes into the header.
    let target = env::var("TARGET").expect("TARGET");
    // (memory map, QEMU board, SysTick period in ps: the board's core clock, 25 / 20 / 16 MHz)
    let (memory, board, tick_ps) = if target.starts_with("thumbv8m") {
        ("memory/mps2-an505.x", "mps2-an505", 50_000)
    } else if target.starts_with("thumbv6m") {
        ("memory/microbit.x", "microbit", 62_500)
    } else {
        ("memory/mps2-an386.x", "mps2-an386", 40_000)
    };
    fs::copy(memory, out.join("memory.x")).expect("copy the memory map");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-env=QCS_FW_TARGET={target}");
    println!("cargo:rerun-if-changed=memory");
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("CARGO_FEATURE_DEFMT").is_some() {
        println!("cargo:rustc-link-arg=-Tdefmt.x");
    }
    let n = var("QCS_FW_N", 784);
    let m = var("QCS_FW_M", 200);
    let digits = var("QCS_FW_DIGITS", 4);
    assert!(
        n >= 1 && (1..=n).contains(&m),
        "need 1 <= QCS_FW_M <= QCS_FW_N"
    );
    assert!((1..=4).contains(&digits), "QCS_FW_DIGITS must be 1..=4");
    fs::write(
        out.join("config.rs"),
        format!(
            "/// Signal dimension `N` of the sensor jobs (`QCS_FW_N`).\n\
             pub const N: usize = {n};\n\
             /// Measurements `M` per frame (`QCS_FW_M`).\n\
             pub const M: usize = {m};\n\
             /// How many of the compiled-in digits are measured (`QCS_FW_DIGITS`).\n\
             pub const DIGITS: usize = {digits};\n\
             /// The QEMU board this build's memory map is for.\n\
             pub const BOARD: &str = \"{board}\";\n\
             /// SysTick period in picoseconds on that board (its core clock): under \
             `-icount shift=0` (1 instruction = 1 ns) ticks × TICK_PS / 1000 is an instruction count.\n\
             pub const TICK_PS: u64 = {tick_ps};\n"
        ),
    )
    .expect("write config.rs");
}
