//! The sensor firmware on the other microcontroller targets against the Cortex-M4F run (issue
//! 20): the same source for a Cortex-M33 (`thumbv8m.main-none-eabihf`, QEMU `mps2-an505`), a
//! Cortex-M0 (`thumbv6m-none-eabi`, QEMU `microbit`; no FPU, so every `f32` operation in
//! software) and an RV32IMAFC (`riscv32imafc-unknown-none-elf`, QEMU `virt`, hardware single
//! float). Their frames must be byte-identical to the Cortex-M4F's (which
//! `firmware.rs` checks against the host), and the Cortex-M33's on-device reconstruction bit for
//! bit too.
//!
//! Needs `qemu-system-arm` and `qemu-system-riscv32` unless `QCS_SKIP_QEMU=1`.

use qcs_integration::*;
use std::sync::OnceLock;

/// Seconds QEMU may run before `timeout` kills it (the Cortex-M0 run takes about 10 s).
const QEMU_TIMEOUT_S: u32 = 240;

/// The Cortex-M4F reference run (default features), built and run once for all tests here.
fn m4f_lines() -> Option<&'static Vec<DataLine>> {
    static RUN: OnceLock<Vec<DataLine>> = OnceLock::new();
    if skip_qemu() {
        eprintln!("QCS_SKIP_QEMU=1: skipping the MCU target tests");
        return None;
    }
    require_qemu();
    Some(RUN.get_or_init(|| {
        let elf = build_firmware("default", &[], false);
        let run = run_qemu(&elf, QEMU_TIMEOUT_S, &firmware_dir());
        assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
        data_lines(&run.stdout)
    }))
}

/// The lines of `kind`; the sensor jobs only (not the reconstruction's frame `R`) unless
/// `with_recon`.
fn select(lines: &[DataLine], kind: &str, with_recon: bool) -> Vec<DataLine> {
    lines
        .iter()
        .filter(|l| l.kind == kind && (with_recon || l.words.first().is_none_or(|w| w != "R")))
        .cloned()
        .collect()
}

/// Checks a run's header, exit status and `DONE` line; returns its data lines.
fn checked(run: &FirmwareRun, target: &str) -> Vec<DataLine> {
    assert_eq!(run.status, 0, "{target}: {}\n{}", run.stdout, run.stderr);
    let lines = data_lines(&run.stdout);
    let header = lines.iter().find(|l| l.kind == "QCS-FW").expect("header");
    assert_eq!(header.get("target"), target);
    let done = lines.iter().find(|l| l.kind == "DONE").expect("DONE line");
    assert_eq!(done.usize("frames"), 16);
    lines
}

#[test]
fn cortex_m33_frames_and_reconstruction_equal_the_cortex_m4f() {
    let Some(m4f) = m4f_lines() else { return };
    let target = "thumbv8m.main-none-eabihf";
    let elf = build_firmware_for(target, "m33-default", &[], false);
    let run = run_qemu_board(
        "mps2-an505",
        Some("cortex-m33"),
        &elf,
        QEMU_TIMEOUT_S,
        &firmware_dir(),
    );
    let lines = checked(&run, target);
    assert_eq!(
        lines
            .iter()
            .find(|l| l.kind == "QCS-FW")
            .unwrap()
            .get("board"),
        "mps2-an505"
    );
    for kind in ["JOB", "FRAME", "RECON", "XHAT", "MEAN", "PSNR"] {
        let (a, b) = (select(&lines, kind, true), select(m4f, kind, true));
        assert!(!a.is_empty(), "{kind}: no lines");
        assert_eq!(a, b, "{kind} lines: Cortex-M33 != Cortex-M4F");
    }
}

#[test]
fn cortex_m0_soft_float_frames_equal_the_cortex_m4f() {
    let Some(m4f) = m4f_lines() else { return };
    let target = "thumbv6m-none-eabi";
    // The sensor path only: 16 KiB of RAM on the board, no on-device reconstruction.
    let elf = build_firmware_for(target, "m0-sensor", &["structured"], true);
    let run = run_qemu_board("microbit", None, &elf, QEMU_TIMEOUT_S, &firmware_dir());
    let lines = checked(&run, target);
    for kind in ["JOB", "FRAME"] {
        let (a, b) = (select(&lines, kind, false), select(m4f, kind, false));
        assert_eq!(a.len(), 16, "{kind} lines");
        assert_eq!(a, b, "{kind} lines: Cortex-M0 != Cortex-M4F");
    }
}

#[test]
fn riscv_hardware_float_frames_equal_the_cortex_m4f() {
    let Some(m4f) = m4f_lines() else { return };
    require_qemu_riscv();
    let target = "riscv32imafc-unknown-none-elf";
    let elf = build_riscv_firmware_for(target);
    // The ELF really uses the single-float ABI (e_flags EF_RISCV_FLOAT_ABI_SINGLE = 0x2), so
    // the identity below is hardware float against the Cortex-M4F's FPU.
    let bytes = std::fs::read(&elf).expect("read the ELF");
    let e_flags = u32::from_le_bytes(bytes[0x24..0x28].try_into().unwrap());
    assert_eq!(
        e_flags & 0x6,
        0x2,
        "e_flags {e_flags:#x}: not the single-float ABI"
    );
    let run = run_qemu_riscv(&elf, QEMU_TIMEOUT_S, &firmware_dir());
    let lines = checked(&run, target);
    for kind in ["JOB", "FRAME"] {
        let (a, b) = (select(&lines, kind, false), select(m4f, kind, false));
        assert_eq!(a.len(), 16, "{kind} lines");
        assert_eq!(a, b, "{kind} lines: RV32IMAFC != Cortex-M4F");
    }
}
