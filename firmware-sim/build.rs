//! Puts memory.x on the linker path, adds defmt's linker script when the `defmt` feature is
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
    fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
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
             pub const DIGITS: usize = {digits};\n"
        ),
    )
    .expect("write config.rs");
}
