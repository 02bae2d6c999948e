//! `include/qcs.h` is what cbindgen generates from this crate today: regenerated in memory
//! and compared byte for byte. `QCS_BLESS=1` rewrites the committed header instead.

use std::path::Path;

#[test]
fn committed_header_is_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = dir.join("include/qcs.h");
    if std::env::var_os("QCS_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/qcs.h");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ffi/include/qcs.h is out of date with ffi/src; regenerate it with\n    \
         QCS_BLESS=1 cargo test -p qcs-ffi --test header\nand commit it"
    );
}
