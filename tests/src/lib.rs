//! Helpers of the cross-crate integration tests (`tests/tests/*.rs`): build the Cortex-M4F
//! firmware (`firmware-sim/`), run it under QEMU with a timeout, split its output into data
//! lines, and read the MNIST IDX files.
//!
//! QEMU is required: without `qemu-system-arm` on `PATH` the firmware tests fail with a
//! message saying how to install it, unless `QCS_SKIP_QEMU=1` is set.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The firmware crate's directory.
pub fn firmware_dir() -> PathBuf {
    repo_root().join("firmware-sim")
}

/// `true` when `QCS_SKIP_QEMU=1` asks to skip the QEMU tests (CI never sets it).
pub fn skip_qemu() -> bool {
    std::env::var("QCS_SKIP_QEMU").is_ok_and(|v| v == "1")
}

/// Panics with installation instructions unless `qemu-system-arm` runs.
pub fn require_qemu() {
    require("qemu-system-arm", "qemu-system-arm");
}

/// Panics with installation instructions unless `qemu-system-riscv32` runs.
pub fn require_qemu_riscv() {
    require("qemu-system-riscv32", "qemu-system-misc");
}

fn require(binary: &str, package: &str) {
    match Command::new(binary).arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "{binary} is not installed: the firmware bit-exactness tests need it.\n\
             Install it with `apt-get install -y --no-install-recommends {package}` \
             (CI does, in .ci/firmware.sh), or set QCS_SKIP_QEMU=1 to skip these tests."
        ),
    }
}

/// Panics with installation instructions unless `arm-none-eabi-gcc` runs (the C firmware,
/// `firmware-sim/c`).
pub fn require_arm_gcc() {
    require(
        "arm-none-eabi-gcc",
        "gcc-arm-none-eabi libnewlib-arm-none-eabi",
    );
}

/// Builds the C firmware (`make -C firmware-sim/c`: `libqcs_ffi.a` for thumbv7em-none-eabihf,
/// then `main.c` with arm-none-eabi-gcc) and returns its ELF.
pub fn build_c_firmware() -> PathBuf {
    let dir = firmware_dir().join("c");
    let status = Command::new("make")
        .arg("-C")
        .arg(&dir)
        .status()
        .expect("run make");
    assert!(status.success(), "make -C firmware-sim/c failed: {status}");
    dir.join("build/qcs-firmware-c.elf")
}

/// Builds the firmware in release mode (`cargo build --release` in `firmware-sim/`, its own
/// target directory) with `features` on top of (or, with `no_default`, instead of) the
/// default ones, and returns a copy of the ELF at `firmware-sim/target/variants/<name>.elf`.
pub fn build_firmware(name: &str, features: &[&str], no_default: bool) -> PathBuf {
    build_crate(
        &firmware_dir(),
        None,
        "thumbv7em-none-eabihf/release/qcs-firmware-sim",
        name,
        features,
        no_default,
    )
}

/// Builds the firmware for another Arm target (`thumbv8m.main-none-eabihf`: Cortex-M33 on
/// `mps2-an505`; `thumbv6m-none-eabi`: Cortex-M0 on `microbit`; build.rs picks the board's
/// memory map) and returns a copy of its ELF at `firmware-sim/target/variants/<name>.elf`.
pub fn build_firmware_for(
    target: &str,
    name: &str,
    features: &[&str],
    no_default: bool,
) -> PathBuf {
    build_crate(
        &firmware_dir(),
        Some(target),
        &format!("{target}/release/qcs-firmware-sim"),
        name,
        features,
        no_default,
    )
}

/// Builds the RISC-V variant (`firmware-sim/riscv/`, target `riscv32imac-unknown-none-elf`)
/// and returns a copy of its ELF at `firmware-sim/riscv/target/variants/riscv.elf`.
pub fn build_riscv_firmware() -> PathBuf {
    build_riscv_firmware_for("riscv32imac-unknown-none-elf")
}

/// Builds the RISC-V variant for `target` (`riscv32imac-unknown-none-elf`, soft float, or
/// `riscv32imafc-unknown-none-elf`, hardware single float) and returns a copy of its ELF at
/// `firmware-sim/riscv/target/variants/<target>.elf`.
pub fn build_riscv_firmware_for(target: &str) -> PathBuf {
    build_crate(
        &firmware_dir().join("riscv"),
        Some(target),
        &format!("{target}/release/qcs-firmware-riscv"),
        target,
        &[],
        false,
    )
}

/// `cargo build --release` in `dir` (for `target`, or the crate's default one), then a copy of
/// `target/<elf>` at `target/variants/<name>.elf`.
fn build_crate(
    dir: &Path,
    target: Option<&str>,
    elf: &str,
    name: &str,
    features: &[&str],
    no_default: bool,
) -> PathBuf {
    // Builds share target directories and ELF paths: one build-and-copy at a time.
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(dir).args(["build", "--release", "-j1"]);
    if let Some(target) = target {
        cmd.args(["--target", target]);
    }
    if no_default {
        cmd.arg("--no-default-features");
    }
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    // The outer cargo's settings must not leak into the firmware's own build.
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_MAKEFLAGS",
        "QCS_FW_N",
        "QCS_FW_M",
        "QCS_FW_DIGITS",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("run cargo build for firmware-sim");
    assert!(
        out.status.success(),
        "building {} failed (is the target installed? `rustup target add \
         thumbv7em-none-eabihf thumbv8m.main-none-eabihf thumbv6m-none-eabi \
         riscv32imac-unknown-none-elf riscv32imafc-unknown-none-elf`):\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let elf = dir.join("target").join(elf);
    let variants = dir.join("target/variants");
    std::fs::create_dir_all(&variants).expect("create target/variants");
    let copy = variants.join(format!("{name}.elf"));
    std::fs::copy(&elf, &copy).expect("copy the firmware ELF");
    copy
}

/// What a QEMU run of the firmware produced.
#[derive(Debug)]
pub struct FirmwareRun {
    /// QEMU's exit status (the firmware's semihosting exit: 0 success, 1 failure; 124 when
    /// `timeout` killed it).
    pub status: i32,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

/// Runs `elf` on QEMU `mps2-an386` (Cortex-M4F) under `timeout <seconds>`, in `cwd`.
pub fn run_qemu(elf: &Path, seconds: u32, cwd: &Path) -> FirmwareRun {
    run(
        &[
            "qemu-system-arm",
            "-machine",
            "mps2-an386",
            "-cpu",
            "cortex-m4",
            "-nographic",
            "-monitor",
            "none",
            "-serial",
            "none",
        ],
        elf,
        seconds,
        cwd,
    )
}

/// Runs `elf` on the QEMU Arm board `machine` (with `-cpu cpu` where the board takes one)
/// under `timeout <seconds>`, in `cwd`: `mps2-an505` for the Cortex-M33, `microbit` for the
/// Cortex-M0.
pub fn run_qemu_board(
    machine: &str,
    cpu: Option<&str>,
    elf: &Path,
    seconds: u32,
    cwd: &Path,
) -> FirmwareRun {
    let mut args = vec!["qemu-system-arm", "-machine", machine];
    if let Some(cpu) = cpu {
        args.extend(["-cpu", cpu]);
    }
    args.extend(["-nographic", "-monitor", "none", "-serial", "none"]);
    run(&args, elf, seconds, cwd)
}

/// Runs `elf` on QEMU `virt` (RV32IMAC) under `timeout <seconds>`, in `cwd`.
pub fn run_qemu_riscv(elf: &Path, seconds: u32, cwd: &Path) -> FirmwareRun {
    run(
        &[
            "qemu-system-riscv32",
            "-machine",
            "virt",
            "-bios",
            "none",
            "-nographic",
            "-monitor",
            "none",
            "-serial",
            "none",
        ],
        elf,
        seconds,
        cwd,
    )
}

fn run(qemu: &[&str], elf: &Path, seconds: u32, cwd: &Path) -> FirmwareRun {
    let out = Command::new("timeout")
        .current_dir(cwd)
        .arg(seconds.to_string())
        .args(qemu)
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(elf)
        .output()
        .expect("run timeout qemu-system-arm");
    FirmwareRun {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// One data line of the firmware: `KIND [id] key=value … [hex]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataLine {
    /// The first word (`JOB`, `FRAME`, `COST`, `RECON`, `XHAT`, …).
    pub kind: String,
    /// The words that are neither `key=value` nor the last word of a payload line.
    pub words: Vec<String>,
    /// The `key=value` words.
    pub fields: BTreeMap<String, String>,
}

impl DataLine {
    /// The value of `key`, or a panic naming the line.
    pub fn get(&self, key: &str) -> &str {
        self.fields
            .get(key)
            .unwrap_or_else(|| panic!("{} line without `{key}=`: {self:?}", self.kind))
    }

    /// `key` as an unsigned integer.
    pub fn usize(&self, key: &str) -> usize {
        self.get(key).parse().expect("a decimal integer")
    }

    /// `key` as a 64-bit hex number.
    pub fn hex_u64(&self, key: &str) -> u64 {
        u64::from_str_radix(self.get(key), 16).expect("a hex u64")
    }

    /// `key` as the hex bits of an `f32`.
    pub fn f32_bits(&self, key: &str) -> f32 {
        f32::from_bits(u32::from_str_radix(self.get(key), 16).expect("hex f32 bits"))
    }
}

/// The data lines of an output (log lines `# …` and anything else are skipped).
pub fn data_lines(stdout: &str) -> Vec<DataLine> {
    const KINDS: [&str; 11] = [
        "QCS-FW", "JOB", "FRAME", "COST", "RECON", "XHAT", "MEAN", "PSNR", "STACK", "DONE", "BENCH",
    ];
    stdout
        .lines()
        .filter_map(|line| {
            let mut it = line.split_whitespace();
            let kind = it.next()?;
            if !KINDS.contains(&kind) {
                return None;
            }
            let (mut words, mut fields) = (Vec::new(), BTreeMap::new());
            for w in it {
                match w.split_once('=') {
                    Some((k, v)) => {
                        fields.insert(k.to_string(), v.to_string());
                    }
                    None => words.push(w.to_string()),
                }
            }
            Some(DataLine {
                kind: kind.to_string(),
                words,
                fields,
            })
        })
        .collect()
}

/// Decodes lower-case or upper-case hex.
pub fn from_hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd-length hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Little-endian `f32`s from hex.
pub fn f32s_from_hex(s: &str) -> Vec<f32> {
    from_hex(s)
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The images of a gzipped IDX3 file (`models/data/mnist-*-images-idx3-ubyte.gz`), each
/// `rows·cols` bytes.
pub fn read_idx_images(path: &Path) -> Vec<Vec<u8>> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("open IDX file"))
        .read_to_end(&mut raw)
        .expect("gunzip IDX file");
    let word =
        |i: usize| u32::from_be_bytes([raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3]]);
    assert_eq!(word(0), 0x0803, "IDX3 magic");
    let (count, rows, cols) = (word(1) as usize, word(2) as usize, word(3) as usize);
    let body = &raw[16..];
    assert_eq!(body.len(), count * rows * cols, "IDX3 size");
    body.chunks_exact(rows * cols).map(<[u8]>::to_vec).collect()
}

/// The labels of a gzipped IDX1 file (`models/data/mnist-*-labels-idx1-ubyte.gz`).
pub fn read_idx_labels(path: &Path) -> Vec<u8> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("open IDX file"))
        .read_to_end(&mut raw)
        .expect("gunzip IDX file");
    assert_eq!(
        u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
        0x0801,
        "IDX1 magic"
    );
    let count = u32::from_be_bytes([raw[4], raw[5], raw[6], raw[7]]) as usize;
    assert_eq!(raw.len(), 8 + count, "IDX1 size");
    raw[8..].to_vec()
}
