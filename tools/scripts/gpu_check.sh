#!/usr/bin/env bash
# Everything a session lent an NVIDIA GPU runs, in one go, printing the
# figures issue 4 asks for (none of this has run on a GPU yet: the sessions
# that wrote it had none):
#   1. CudaRunTest: a small conv net and LeNet-5 compiled for host-cuda, two
#      training steps, eval and infer on the GPU against the CPU artifact.
#   2. The kernel sweep on the GPU: dlc-kernel-bench --cuda (conv forward,
#      input and weight gradients, matmul NN/NT/TN on the sample models'
#      shapes; GFLOP/s, kernel time only).
#   3. LeNet-5's training step from a CUDA artifact via dlrun: the compile
#      time, `dlrun bench` of the train entry on the GPU and, for scale, on
#      this machine's CPU; then one epoch on real Fashion-MNIST on each, with
#      test accuracy.
#
#   tools/scripts/gpu_check.sh [BUILD_DIR] [FASHION_MNIST_DIR]
#
# BUILD_DIR (default build-gpu) is configured and built (dlc, dlrun,
# CudaRunTest, dlc-kernel-bench) where cmake is present; else its binaries
# must already be there (they are small: build them elsewhere and carry the
# folder). FASHION_MNIST_DIR defaults to Debian's
# /usr/share/datasets/fashion-mnist (30 MB; copy it under BUILD_DIR to carry
# it). Everything it writes, JSON included, goes to $OUT/gpu-check if $OUT
# is set, else BUILD_DIR/gpu-check. Exit status 2: no usable CUDA device.
# Takes a few minutes on 16 cores once built.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-gpu}
data=${2:-/usr/share/datasets/fashion-mnist}
out=${OUT:-$build}/gpu-check
mkdir -p "$out"
dlc=$build/tools/dlc/dlc
dlrun=$build/tools/dlrun/dlrun

nvidia-smi -L 2>/dev/null || echo "(no nvidia-smi)"
if command -v cmake >/dev/null && command -v ninja >/dev/null; then
  cmake -G Ninja -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$build" dlc dlrun CudaRunTest dlc-kernel-bench
fi

echo "== 1. CUDA artifacts on the GPU vs the CPU artifact (tests/unit/CudaRunTest.cpp) =="
status=0
"$build/tests/CudaRunTest" 2>&1 | tee "$out/cuda-run-test.txt" || status=$?
if grep -q "SKIPPED \]" "$out/cuda-run-test.txt"; then
  echo "gpu_check: no usable CUDA device (see the reason above); nothing else to run" >&2
  exit 2
fi

echo "== 2. kernel sweep on the GPU (dlc-kernel-bench --cuda) =="
"$build/tests/bench/dlc-kernel-bench" --cuda --benchmark_out="$out/kernels-cuda.json" \
  --benchmark_out_format=json 2>&1 | tee "$out/kernels-cuda.txt" || status=$?

echo "== 3. LeNet-5 training step from a CUDA artifact via dlrun =="
cache=$build/kernel-cache
"$dlc" models/lenet5.dlg --train --target=host-cuda -o "$out/lenet5-cuda.dlm" \
  --cache-dir "$cache" --stats
"$dlc" models/lenet5.dlg --train -o "$out/lenet5-cpu.dlm" --cache-dir "$cache" --stats
for t in cuda cpu; do
  echo "-- dlrun bench, train entry, batch 64, $t"
  "$dlrun" bench "$out/lenet5-$t.dlm" --entry=train --batch=64 --steps=200 --warmup=10 \
    | tee "$out/lenet5-$t-bench.json"
done
if [ -e "$data/train-images-idx3-ubyte.gz" ] || [ -e "$data/train-images-idx3-ubyte" ]; then
  for t in cuda cpu; do
    echo "-- dlrun train, 1 epoch of Fashion-MNIST, $t"
    time "$dlrun" train "$out/lenet5-$t.dlm" --data=idx:"$data" \
      --epochs=1 --seed=0 --metrics="$out/lenet5-$t-train.jsonl" || status=$?
  done
else
  echo "gpu_check: no Fashion-MNIST under $data: skipped training on it" >&2
  status=1
fi
exit $status
