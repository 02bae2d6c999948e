#!/usr/bin/env bash
# Re-create everything derived from a score-model checkpoint, in order.
#   models/refresh.sh CKPT            export + golden files (about 3 min on one core)
#   models/refresh.sh CKPT figures    also the reconstruction figures (100 digits) and the
#                                     sample-quality figures (500 samples): about 1.5 h on one core
# ENGINE=ort (default) runs the figures through onnxruntime on the freshly exported model
# (same weights, checked at start; ~2.3x faster than torch on one thread); ENGINE=torch uses
# the PyTorch module. THREADS (default 1) sets the threads of torch / onnxruntime.
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT=${1:?usage: models/refresh.sh CKPT [figures]}
ENGINE=${ENGINE:-ort}
THREADS=${THREADS:-1}
# the shipped model's own weights (EMA only): the golden test checks the ONNX against these, so
# the training checkpoint can move on without breaking it
python3 -m models.train.train --checkpoint "$CKPT" --export-ema models/ncsnv2-mnist.ema.pt
python3 -m models.export.export_onnx --checkpoint models/ncsnv2-mnist.ema.pt --out models/ncsnv2-mnist.onnx
python3 -m models.reference.sampler selftest
python3 -m models.reference.sampler golden --checkpoint "$CKPT"
python3 -m models.reference.replay_golden --full
if [ "${2:-}" = figures ]; then
  python3 -m models.reference.evaluate --checkpoint "$CKPT" --images 100 --engine "$ENGINE" \
      --threads "$THREADS" --out models/reference/results.json
  python3 -m models.classifier.sample_quality --checkpoint "$CKPT" --samples 500 --engine "$ENGINE" \
      --threads "$THREADS" --out models/classifier/sample_quality.json --grid models/classifier/samples.png
fi
