//! The C API from C on this host: `tests/c/decode_test.c` is compiled with the system `cc`
//! against the static library of this build and decodes frames made by `qcs measure` (when
//! the `qcs` binary of this build exists, as in `cargo test --workspace`) and by `qcs-core`
//! directly, checking every header field, the codes and the error codes.

use qcs_core::frame::{self, FrameHeader, QuantizerSpec, SignalShape};
use qcs_core::operator::{Scaling, SeededGaussian, Structured};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory of this build's artifacts (`target/<profile>`), from the test executable's
/// path (`target/<profile>/deps/c_decode-*`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps")
        .to_path_buf()
}

/// This build's `libqcs_ffi.a`: `target/<profile>/libqcs_ffi.a` after a `cargo build`;
/// under `cargo test` alone cargo leaves it in `deps/` with a hash (the newest is this
/// build's, made together with the rlib the test links).
fn static_lib() -> PathBuf {
    let dir = profile_dir();
    let uplifted = dir.join("libqcs_ffi.a");
    let newest = std::fs::read_dir(dir.join("deps"))
        .expect("target/<profile>/deps")
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libqcs_ffi-") && name.ends_with(".a")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max();
    match (newest, uplifted.exists()) {
        (Some((t, p)), true) => {
            let up = std::fs::metadata(&uplifted).and_then(|m| m.modified());
            if up.is_ok_and(|u| u >= t) {
                uplifted
            } else {
                p
            }
        }
        (Some((_, p)), false) => p,
        (None, true) => uplifted,
        (None, false) => panic!(
            "no libqcs_ffi.a under {} (the staticlib is built with the rlib)",
            dir.display()
        ),
    }
}

/// Compiles decode_test.c against libqcs_ffi.a; returns the executable.
fn compile() -> PathBuf {
    compile_c("decode_test")
}

/// Compiles `tests/c/<name>.c` against libqcs_ffi.a; returns the executable.
fn compile_c(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = static_lib();
    let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("qcs_{name}"));
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-O1",
        ])
        .arg("-I")
        .arg(dir.join("include"))
        .arg(dir.join(format!("tests/c/{name}.c")))
        .arg(&lib)
        // The native libraries std needs (`cargo rustc -- --print native-static-libs`).
        .args([
            "-lgcc_s",
            "-lutil",
            "-lrt",
            "-lpthread",
            "-lm",
            "-ldl",
            "-lc",
        ])
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("run cc (the system C compiler)");
    assert!(status.success(), "cc failed: {status}");
    exe
}

/// One frame and the header fields the C program must read from it.
struct Case {
    file: PathBuf,
    fields: [String; 13],
}

fn fields(h: &FrameHeader<'_>) -> [String; 13] {
    let (qkind, bits, delta) = match h.quantizer {
        QuantizerSpec::Uniform { bits, delta } => (1, bits, delta),
        QuantizerSpec::Thresholds { bits, .. } => (2, bits, 0.0),
        QuantizerSpec::Unquantized => (3, 0, 0.0),
    };
    [
        h.counter.to_string(),
        h.signal.n.to_string(),
        h.signal.height.to_string(),
        h.signal.width.to_string(),
        h.signal.channels.to_string(),
        h.measurements.to_string(),
        format!("{:#x}", h.sigma.to_bits()),
        format!("{:#x}", h.operator.seed),
        h.operator.kind.code().to_string(),
        frame::scaling_code(h.operator.scaling).to_string(),
        qkind.to_string(),
        bits.to_string(),
        format!("{:#x}", delta.to_bits()),
    ]
}

fn run(exe: &Path, case: &Case) {
    let out = Command::new(exe)
        .arg(&case.file)
        .args(&case.fields)
        .output()
        .expect("run decode_test");
    assert!(
        out.status.success(),
        "decode_test {}: {}\n{}",
        case.file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn c_program_decodes_frames_and_checks_every_header_field() {
    let exe = compile();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let mut cases = Vec::new();

    // Frames from qcs-core, the encoder `qcs measure` and the firmware use.
    let shape = SignalShape::image(4, 4, 1).unwrap();
    let seeded = SeededGaussian::new(99, 24, 16, Scaling::Unit).unwrap();
    let structured = Structured::new(0xDEAD_BEEF_0123, 13, 16, Scaling::UnitRows).unwrap();
    let headers = [
        FrameHeader::for_measurement(shape, &seeded, QuantizerSpec::sign(), 0.05, 3).unwrap(),
        FrameHeader::for_measurement(
            SignalShape::vector(16),
            &structured,
            QuantizerSpec::Uniform {
                bits: 5,
                delta: 0.125,
            },
            0.0,
            u32::MAX,
        )
        .unwrap(),
    ];
    for (k, h) in headers.iter().enumerate() {
        let codes: Vec<u16> = (0..h.m())
            .map(|i| (i * 7 % (1 << h.quantizer.bits().unwrap())) as u16)
            .collect();
        let mut buf = vec![0u8; frame::encoded_len(h).unwrap()];
        frame::encode_codes(h, &codes, &mut buf).unwrap();
        let file = tmp.join(format!("c_decode_core_{k}.qcsf"));
        std::fs::write(&file, &buf).unwrap();
        cases.push(Case {
            file,
            fields: fields(h),
        });
    }

    // Frames from `qcs measure`, when this build has the binary (cargo test --workspace).
    let qcs = profile_dir().join("qcs");
    if qcs.exists() {
        let runs: [&[&str]; 2] = [
            &[
                "--digit",
                "3",
                "--bits",
                "1",
                "--measurements",
                "200",
                "--seed",
                "7",
            ],
            &[
                "--digit",
                "5",
                "--bits",
                "3",
                "--delta",
                "0.75",
                "--measurements",
                "100",
                "--operator",
                "structured",
                "--seed",
                "12345678901",
                "--counter",
                "42",
                "--sigma",
                "0.1",
            ],
        ];
        for (k, args) in runs.iter().enumerate() {
            let file = tmp.join(format!("c_decode_qcs_{k}.qcsf"));
            let out = Command::new(&qcs)
                .arg("measure")
                .args(*args)
                .arg("-o")
                .arg(&file)
                .output()
                .expect("run qcs measure");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let bytes = std::fs::read(&file).unwrap();
            let decoded = frame::decode(&bytes).unwrap();
            let h = *decoded.header();
            // The fields the command line set, as the C program must read them.
            assert_eq!(h.measurements, if k == 0 { 200 } else { 100 });
            assert_eq!(h.operator.seed, if k == 0 { 7 } else { 12_345_678_901 });
            cases.push(Case {
                file,
                fields: fields(&h),
            });
        }
    } else {
        eprintln!("{} not built: decoding qcs-core frames only", qcs.display());
    }
    for case in &cases {
        run(&exe, case);
    }
}

#[test]
fn readme_example_compiles_runs_and_is_the_one_in_the_readme() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(dir.join("tests/c/example.c")).unwrap();
    let readme = std::fs::read_to_string(dir.join("../README.md")).unwrap();
    assert!(
        readme.contains(&format!("```c\n{source}```")),
        "README.md's \"From C\" example differs from ffi/tests/c/example.c"
    );
    let out = Command::new(compile_c("example"))
        .output()
        .expect("run example");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "frame 1: 85 bytes, N = 784, M = 200, Q = 1\n"
    );
}
