//! What the `qcs` end-to-end tests share: running the binary, scratch paths, and checks of
//! its exit status and messages.
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `qcs` with `args` in `dir`.
pub fn qcs_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qcs"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run qcs")
}

/// Runs `qcs` with `args` (in the temporary directory).
pub fn qcs(args: &[&str]) -> Output {
    qcs_in(&std::env::temp_dir(), args)
}

/// A scratch path `name` in a folder of this test process and `suite`.
pub fn tmp_in(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qcs-{suite}-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The path as `&str`.
pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Succeeds; its standard output.
pub fn ok(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "qcs failed: {err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Fails with exit status `code`, an error holding every `needle`, and no panic; its stderr.
pub fn fails_with_code(out: &Output, code: i32, needles: &[&str]) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit {code}, stderr: {err}"
    );
    assert!(!err.contains("panicked"), "qcs panicked: {err}");
    for n in needles {
        assert!(err.contains(n), "error message lacks {n:?}: {err}");
    }
    err
}

/// Fails with exit status 1 (see [`fails_with_code`]).
pub fn fails_with(out: &Output, needles: &[&str]) -> String {
    fails_with_code(out, 1, needles)
}
