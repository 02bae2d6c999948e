#!/usr/bin/env bash
# The receiver on an ARM edge gateway (issue 20): cross-builds `qcs` for aarch64 Linux with
# Debian's cross toolchain, runs it under QEMU user-mode emulation, and checks it against the
# native x86_64 build:
#   * `qcs measure` frames byte-identical (one-bit, 3-bit, unquantized; seeded and structured
#     operators; three digits);
#   * `qcs reconstruct` on a short schedule: the posterior mean within the tolerance the host
#     tests use against the PyTorch reference, 3e-5·max(1, max|x|) + 1e-4 (tract's aarch64
#     kernels round differently from its x86_64 ones); the measured difference is printed.
# Then the release artifacts (.ci/release.sh), which reuse this aarch64 build.
# About 10 minutes on 2 cores, most of it compiling tract for aarch64.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
T=aarch64-unknown-linux-gnu
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
fi
rustup target add "$T"

# The x86_64 `qcs` of the test build (.ci/run's `cargo test` step; the same command, so nothing
# is compiled again: `cargo build -p qcs-host` alone would unify other features and rebuild tract).
cargo test --workspace --release --exclude qcs-integration --no-run
cargo build -p qcs-host --bin qcs --release --target "$T"
X86="$TARGET_DIR/release/qcs"
ARM=(qemu-aarch64 -L /usr/aarch64-linux-gnu "$TARGET_DIR/$T/release/qcs")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
aarch64-linux-gnu-strip -o "$tmp/qcs-stripped" "$TARGET_DIR/$T/release/qcs"
echo "aarch64 binary: $(stat -c %s "$TARGET_DIR/$T/release/qcs") bytes," \
  "$(stat -c %s "$tmp/qcs-stripped") stripped"
n=0
for digit in 0 3 7; do
  for bits in 1 3 0; do
    for op in seeded structured; do
      args=(measure --digit "$digit" --bits "$bits" --operator "$op" --measurements 200)
      "$X86" "${args[@]}" -o "$tmp/x86.qcsf" >/dev/null
      "${ARM[@]}" "${args[@]}" -o "$tmp/arm.qcsf" >/dev/null
      cmp "$tmp/x86.qcsf" "$tmp/arm.qcsf"
      n=$((n + 1))
    done
  done
done
echo "aarch64: $n frames byte-identical to x86_64's"

"$X86" measure --digit 3 --bits 1 -o "$tmp/d3.qcsf" >/dev/null
rec=(reconstruct "$tmp/d3.qcsf" --method qcs-sgm --levels 3 --steps 2 --samples 2 --threads 1)
"$X86" "${rec[@]}" --out "$tmp/x86" >/dev/null
"${ARM[@]}" "${rec[@]}" --out "$tmp/arm" >/dev/null
python3 - "$tmp" <<'PY'
import sys

import numpy as np

d = sys.argv[1]
a, b = np.load(f"{d}/x86/mean.npy"), np.load(f"{d}/arm/mean.npy")
diff = float(np.abs(a.astype(np.float64) - b).max())
tol = 3e-5 * max(1.0, float(np.abs(a).max())) + 1e-4
print(f"aarch64 vs x86_64 posterior mean (3 levels x 2 steps, 2 samples): max |diff| = {diff:.3e}"
      f" (tolerance {tol:.3e}); bit-identical: {bool((a == b).all())}")
sys.exit(0 if diff <= tol else 1)
PY

bash .ci/release.sh "$TARGET_DIR/dist"
