#!/usr/bin/env bash
# Firmware CI steps (called from .ci/run, before `cargo test --workspace`, whose firmware tests
# need QEMU): installs QEMU (Arm and RISC-V) and the embedded targets on a fresh machine, lints
# the firmware, checks the flash/RAM budget, builds the core for RISC-V, and runs the firmware
# under QEMU against the host (tests/, crate qcs-integration: Cortex-M4F and RV32IMAC), plain and
# with defmt; builds the C API's static library for Cortex-M4F and runs the C firmware on it
# (firmware-sim/c, its frames checked against the Rust firmware's by tests/c_firmware.rs).
# About 2-3 minutes on a fresh machine (the C firmware adds about 30 s and the
# gcc-arm-none-eabi install).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# The firmware steps address their ELFs under firmware-sim/target: a redirected target dir
# would leave them reading stale or missing files.
unset CARGO_TARGET_DIR
QEMU_RUN=(timeout 120 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic
  -monitor none -serial none -semihosting-config enable=on,target=native -kernel)

echo "== firmware: toolchain"
if ! command -v qemu-system-arm >/dev/null || ! command -v qemu-system-riscv32 >/dev/null \
  || ! command -v arm-none-eabi-gcc >/dev/null; then
  apt-get update
  # gcc-arm-none-eabi and newlib: the C firmware (firmware-sim/c) on the C API, qcs-ffi.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    qemu-system-arm qemu-system-misc gcc-arm-none-eabi libnewlib-arm-none-eabi
fi
qemu-system-arm --version | head -1
arm-none-eabi-gcc --version | head -1
qemu-system-riscv32 --version | head -1
rustup target add thumbv7em-none-eabihf riscv32imac-unknown-none-elf \
  thumbv8m.main-none-eabihf thumbv6m-none-eabi riscv32imafc-unknown-none-elf
rustup component add llvm-tools clippy rustfmt

echo "== firmware: format and lints (every feature combination that CI builds)"
(
  cd firmware-sim
  cargo fmt --check
  for features in "" "--no-default-features" "--no-default-features --features structured" \
    "--features defmt" \
    "--features bench,recon-dense,panic-message,selftest-error,selftest-panic" \
    "--features fast-math,bench"; do
    # shellcheck disable=SC2086
    cargo clippy --release -j1 $features -- -D warnings
  done
)
(
  cd firmware-sim
  # The other Arm targets (issue 20): Cortex-M33 with every default feature, Cortex-M0 with
  # the sensor path (its board has 16 KiB of RAM).
  cargo clippy --release -j1 --target thumbv8m.main-none-eabihf -- -D warnings
  cargo clippy --release -j1 --target thumbv6m-none-eabi --no-default-features \
    --features structured -- -D warnings
)
(cd firmware-sim/riscv && cargo fmt --check && cargo clippy --release -j1 -- -D warnings \
  && cargo clippy --release -j1 --target riscv32imafc-unknown-none-elf -- -D warnings)
cargo fmt -p qcs-integration --check
cargo clippy -p qcs-integration --all-targets -- -D warnings

echo "== firmware: flash/RAM budget of the sensor path (N=784, M=200, one-bit; Cortex-M4F, M33, M0)"
firmware-sim/report.sh --check

echo "== qcs-core for RISC-V (RV32IMAC, RV32IMAFC), Cortex-M33 and Cortex-M0"
cargo build -p qcs-core --target riscv32imac-unknown-none-elf --release
cargo build -p qcs-core --target riscv32imac-unknown-none-elf --release --features fast-math
for t in riscv32imafc-unknown-none-elf thumbv8m.main-none-eabihf thumbv6m-none-eabi; do
  cargo build -p qcs-core --target "$t" --release
done

echo "== C API: libqcs_ffi.a for Cortex-M4F, the C firmware under QEMU (firmware-sim/c)"
cargo clippy -p qcs-ffi --target thumbv7em-none-eabihf --features panic-handler -- -D warnings
make -C firmware-sim/c run >/dev/null
# Flash/RAM of the C firmware; its seeded build must meet the 24 KiB / 8 KiB budget.
make -s -C firmware-sim/c budget

echo "== firmware under QEMU (Cortex-M4F, M33, M0, RV32IMAC, RV32IMAFC; the C firmware) against the host (tests/)"
env -u QCS_SKIP_QEMU cargo test -p qcs-integration

echo "== firmware with defmt: runs, exits 0, writes the same data lines to qcs-fw.out"
(
  cd firmware-sim
  cargo build --release -j1 --features defmt
  elf=target/thumbv7em-none-eabihf/release/qcs-firmware-sim
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && "${QEMU_RUN[@]}" "$OLDPWD/$elf" >defmt.bin)
  if command -v defmt-print >/dev/null; then defmt-print -e "$elf" <"$tmp/defmt.bin" | tail -3; fi
  "${QEMU_RUN[@]}" target/variants/default.elf >"$tmp/plain.txt"
  grep -E '^(JOB|FRAME|RECON|XHAT|MEAN|PSNR) ' "$tmp/plain.txt" >"$tmp/plain.data"
  grep -E '^(JOB|FRAME|RECON|XHAT|MEAN|PSNR) ' "$tmp/qcs-fw.out" >"$tmp/defmt.data"
  test -s "$tmp/plain.data"
  diff "$tmp/plain.data" "$tmp/defmt.data"
  grep -q '^DONE ok' "$tmp/qcs-fw.out"
  echo "defmt build: $(wc -l <"$tmp/defmt.data") data lines identical to the plain build"
)
