//! The README's 20-line example is `examples/quickstart.rs`, verbatim.

#[test]
fn readme_shows_the_quickstart_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md")).expect("README.md");
    let example = std::fs::read_to_string(root.join("examples/quickstart.rs")).expect("example");
    assert!(
        readme.contains(&example),
        "README.md must contain core/examples/quickstart.rs verbatim"
    );
}
