#!/usr/bin/env bash
# Release artifacts (issue 20) into one folder with checksums:
#   qcs binaries for x86_64 and aarch64 Linux (release profile, stripped; with the shipped model
#   and test digits under models/), and the C API's
#   static library libqcs_ffi.a (with include/qcs.h) for each microcontroller target.
#   .ci/release.sh [DIR]      (default dist/; needs the cross toolchain that .ci/gateway.sh
#                              installs and `rustup target add` of every target below)
# The aarch64 binary is the one .ci/gateway.sh builds and checks under QEMU (same target dir
# and profile, so nothing is compiled twice); SHA256SUMS covers every file.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
DIST=${1:-dist}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
MCU_TARGETS=(thumbv7em-none-eabihf thumbv8m.main-none-eabihf thumbv6m-none-eabi
  riscv32imac-unknown-none-elf riscv32imafc-unknown-none-elf)
rm -rf "$DIST"
mkdir -p "$DIST"

for t in x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu; do
  if [ "$t" = x86_64-unknown-linux-gnu ]; then
    # The native build the tests use (target/release, the same command as .ci/run's test
    # step): no second compile of tract.
    cargo test --workspace --release --exclude qcs-integration --no-run
    bin="$TARGET_DIR/release/qcs"
  else
    cargo build -p qcs-host --bin qcs --release --target "$t"
    bin="$TARGET_DIR/$t/release/qcs"
  fi
  out="$DIST/qcs-$VERSION-$t"
  mkdir -p "$out"
  cp "$bin" "$out/qcs"
  strip_tool=strip
  [ "$t" = aarch64-unknown-linux-gnu ] && strip_tool=aarch64-linux-gnu-strip
  "$strip_tool" "$out/qcs"
  cp README.md "$out/"
  # The shipped model and test digits: `qcs` finds `models/` in its working directory (or
  # $QCS_MODELS), so `cd` into this folder and `./qcs demo` runs as in a checkout.
  mkdir -p "$out/models/data"
  cp models/ncsnv2-mnist.onnx models/ncsnv2-mnist.json "$out/models/"
  cp models/data/mnist-test-images-idx3-ubyte.gz models/data/mnist-test-labels-idx1-ubyte.gz \
    "$out/models/data/"
done

for t in "${MCU_TARGETS[@]}"; do
  # As firmware-sim/c/Makefile builds it: staticlib with LTO, opt-level "s", a panic handler
  # that calls abort().
  cargo rustc -p qcs-ffi --lib --crate-type staticlib --target "$t" --profile ffi-embedded \
    --features panic-handler
  out="$DIST/qcs-ffi-$VERSION-$t"
  mkdir -p "$out/include"
  cp "$TARGET_DIR/$t/ffi-embedded/libqcs_ffi.a" "$out/"
  cp ffi/include/qcs.h "$out/include/"
done

(cd "$DIST" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS)
echo "release artifacts in $DIST:"
(cd "$DIST" && find . -type f -printf '%10s  %p\n' | sort -k2)
