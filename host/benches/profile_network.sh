#!/usr/bin/env bash
# tract against onnxruntime on the score network, operator by operator (issue 17), at plan
# batches 1 (the host's CPU layout: one batch-1 plan per thread) and 8, one thread each, and the
# same for a second model (e.g. the graph before the export-time rewrites) in the same run:
#   host/benches/profile_network.sh [MODEL] [BASELINE_MODEL]
# Needs the examples built (cargo test --workspace --release --exclude qcs-integration --no-run)
# and python3 with onnx, onnxruntime, numpy. Writes OUT (default /tmp/qcs-profile)/*.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${1:-models/ncsnv2-mnist.onnx}
BASE=${2:-}
RUNS=${RUNS:-50}
OUT=${OUT:-/tmp/qcs-profile}
mkdir -p "$OUT"
for b in 1 8; do
  for m in "$MODEL" $BASE; do
    tag=$(basename "$m" .onnx)_b$b
    echo "== $m, batch $b"
    target/release/examples/profile_network "$m" --batch "$b" --runs "$RUNS" --out "$OUT/tract_$tag.json" | head -1
    python3 host/benches/profile_compare.py "$m" "$OUT/tract_$tag.json" --runs "$RUNS" --json "$OUT/compare_$tag.json" \
      | tail -2
  done
done
