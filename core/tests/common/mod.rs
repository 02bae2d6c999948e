//! Shared helpers of the integration tests: reading the committed golden CSV files.
#![allow(dead_code)]

use std::path::PathBuf;

/// Path of a file in `core/tests/data`.
pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

/// Reads a golden CSV (header row, then numbers; `inf`/`-inf` allowed) into rows of `f64`.
pub fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let path = data_path(name);
    let mut rdr =
        csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = rdr
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = rdr
        .records()
        .map(|r| {
            r.expect("record")
                .iter()
                .map(|v| {
                    v.trim()
                        .parse::<f64>()
                        .unwrap_or_else(|e| panic!("{name}: `{v}`: {e}"))
                })
                .collect()
        })
        .collect();
    (header, rows)
}
pub mod frames;
