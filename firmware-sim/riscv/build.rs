//! Puts link.x on the linker path and the target's name (`QCS_FW_TARGET`) into the header line.
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    fs::copy("link.x", out.join("link.x")).expect("copy link.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=link.x");
    let target = env::var("TARGET").expect("TARGET");
    println!("cargo:rustc-env=QCS_FW_TARGET={target}");
}
