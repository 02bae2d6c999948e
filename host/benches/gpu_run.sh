#!/bin/bash
# The GPU figures of issue 17 (item 4) and training on the GPU, as one prepared call on a
# lent GPU machine (`device run`, ~10 minutes): the demo on `--device cuda`, throughput at plan
# batches 1-512, 64 frames with and without `--share-calls`, the same on that machine's CPU
# cores, then training until DEADLINE. Every step is bounded by a timeout; a CUDA failure skips
# the CUDA steps and still trains. Results under $OUT (gpu-results.tgz, log.txt, checkpoint.pt,
# train_log.csv, train.out).
#
# Prepare here (the machine has no Rust; ~8 min the first time):
#   cargo build --release -p qcs-host --features gpu --bin qcs
#   mkdir -p .dev && echo /.dev/ >> .git/info/exclude
#   strip -o /tmp/qcs-gpu target/release/qcs && gzip -c /tmp/qcs-gpu > .dev/qcs.gz
#   cargo build --release --workspace --exclude qcs-integration --bins   # the CPU build back
# Then: device run, command `bash host/benches/gpu_run.sh`, carry [".dev"], timeout_s 580.
T0=$(date +%s)
DEADLINE=${DEADLINE:-530}          # seconds after start by which everything is copied out
export PYTHONUNBUFFERED=1
W=/tmp/gw; mkdir -p $W/res
LOG=$OUT/log.txt
exec > >(tee -a $LOG) 2>&1
el() { echo $(( $(date +%s) - T0 )); }
echo "== start $(date -u +%FT%TZ)"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv | tee $W/res/nvidia-smi.txt
nproc; free -g | head -2
gzip -dc ${QCS_GZ:-.dev/qcs.gz} > $W/qcs && chmod +x $W/qcs
Q=$W/qcs
LIBDIRS=$(find /opt /usr/local /usr/lib -name 'lib*.so*' \( -name 'libcublas*' -o -name 'libcudnn*' -o -name 'libnvrtc*' -o -name 'libcudart*' -o -name 'libcuda.so*' \) -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')
export LD_LIBRARY_PATH=${LIBDIRS}${LD_LIBRARY_PATH}
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
$Q --version
M=models/ncsnv2-mnist.onnx
mkdir -p $W/frames
for i in $(seq 0 63); do $Q measure --digit $i -o $W/frames/d$(printf %03d $i).qcsf > /dev/null 2>&1; done
ls $W/frames | wc -l

MEAS_END=${MEAS_END:-290}   # no measurement starts after this (s); training gets the rest
CUDA_OK=1
run() { # label, timeout, command...: wall time and status into times.tsv
  local label=$1 to=$2; shift 2
  if [ $(el) -gt $MEAS_END ]; then echo "skip $label (time)"; return; fi
  if [ $CUDA_OK = 0 ] && [[ "$*" == *cuda* ]]; then echo "skip $label (cuda failed)"; return; fi
  local left=$(( MEAS_END + 30 - $(el) )); [ $to -gt $left ] && to=$left
  local t=$(date +%s%N)
  timeout $to "$@" > $W/res/$label.out 2>&1; local rc=$?
  local dt=$(awk -v a=$t -v b=$(date +%s%N) 'BEGIN{printf "%.3f", (b-a)/1e9}')
  echo -e "$label\t$rc\t$dt" | tee -a $W/res/times.tsv
  tail -3 $W/res/$label.out
}
echo "== [$(el)] demo"
run demo-cuda-pnp 60 $Q demo --max-memory 32G --device cuda --out $W/res/demo-cuda-pnp
grep -q "^demo-cuda-pnp	0" $W/res/times.tsv || CUDA_OK=0
echo "== [$(el)] plan-batch sweep (digit 0 frame, pnp-probit 100 calls, samples = plan batch)"
F=$W/frames/d000.qcsf
for b in 1 8 64 512; do
  run sweep-cuda-b$b 60 $Q reconstruct $F --max-memory 32G --device cuda --samples $b --plan-batch $b --out $W/res/sweep-cuda-b$b
done
echo "== [$(el)] many frames (64 frames, 1 sample each unless said)"
MF="--max-memory 32G --samples 1"
run many64-cuda-share64 60 $Q reconstruct $W/frames $MF --device cuda --jobs 64 --share-calls --out $W/res/many64-cuda-share64
run many64-cuda-j16 60 $Q reconstruct $W/frames $MF --device cuda --jobs 16 --out $W/res/many64-cuda-j16
run many64-cuda-share16 60 $Q reconstruct $W/frames $MF --device cuda --jobs 16 --share-calls --out $W/res/many64-cuda-share16
run many64-s8-cuda-share64 60 $Q reconstruct $W/frames --max-memory 32G --samples 8 --device cuda --jobs 64 --share-calls --out $W/res/many64-s8-cuda-share64
run many64-cuda-j1 60 $Q reconstruct $W/frames $MF --device cuda --jobs 1 --out $W/res/many64-cuda-j1
echo "== [$(el)] the same on this machine's CPU cores"
run many64-cpu 60 $Q reconstruct $W/frames $MF --device cpu --out $W/res/many64-cpu
run demo-cpu-pnp 30 $Q demo --max-memory 32G --device cpu --out $W/res/demo-cpu-pnp
for b in 1 8 64 512; do
  run sweep-cpu-s$b 40 $Q reconstruct $F --max-memory 32G --device cpu --samples $b --out $W/res/sweep-cpu-s$b
done
echo "== [$(el)] qcs-sgm (1,160 calls)"
run demo-cuda-qcssgm 60 $Q demo --max-memory 32G --device cuda --method qcs-sgm --out $W/res/demo-cuda-qcssgm
run many64-qcssgm-cuda-share64 60 $Q reconstruct $W/frames $MF --method qcs-sgm --device cuda --jobs 64 --share-calls --out $W/res/many64-qcssgm-cuda-share64
run many64-s8-cuda-j16 60 $Q reconstruct $W/frames --max-memory 32G --samples 8 --device cuda --jobs 16 --out $W/res/many64-s8-cuda-j16
echo "== [$(el)] baseline: one process per frame, 8 frames, cuda"
if [ $CUDA_OK = 1 ] && [ $(el) -lt 220 ]; then
  run many-frames-py-cuda 60 python3 host/benches/many_frames.py --qcs $Q --frames 8 \
     --config "pnp-probit 100 calls, 1 sample, cuda=--method pnp-probit --samples 1 --device cuda" \
     --out $W/res/many_frames_cuda.json
fi
(cd $W && tar czf $OUT/gpu-results.tgz --exclude='*.npy' res)

echo "== [$(el)] training on the GPU"
LEFT=$(( DEADLINE - 25 - $(el) ))
if [ $LEFT -gt 30 ]; then
  MIN=$(awk -v l=$LEFT 'BEGIN{printf "%.2f", l/60}')
  timeout -s TERM $(( LEFT + 20 )) python3 -m models.train.train --device cuda --ngf 16 --batch 64 \
     --checkpoint models/train/checkpoint.pt --log models/train/train_log.csv \
     --save-every-min 2 --max-minutes $MIN > $W/train.out 2>&1
  echo "train rc=$?"; tail -5 $W/train.out; cp $W/train.out $OUT/train.out
  cp models/train/checkpoint.pt $OUT/checkpoint.pt
  cp models/train/train_log.csv $OUT/train_log.csv
fi
echo "== [$(el)] done"
