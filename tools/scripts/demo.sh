#!/usr/bin/env bash
# The main job, end to end on a fresh machine: set up, build, compile LeNet-5
# (models/lenet5.dlg) into an artifact of Halide kernels whose training step
# is forward, cross-entropy, backward and Adam (the model's train block: lr
# 2e-3, cosine decay per epoch, recorded in the artifact), and train it with
# dlrun on Fashion-MNIST for 5 epochs, reporting test accuracy (about 89.8%).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/setup.sh
bash tools/scripts/build.sh
dlc=build/tools/dlc/dlc
dlrun=build/tools/dlrun/dlrun
out=build/demo
mkdir -p "$out"

echo "== LeNet-5 (models/lenet5.dlg) as dlc IR =="
$dlc models/lenet5.dlg --emit=ir --elide-weights

echo "== compiling its training, evaluation and inference steps =="
$dlc models/lenet5.dlg --train -o "$out/lenet5.dlm" --stats

echo "== training on Fashion-MNIST =="
$dlrun train "$out/lenet5.dlm" --data=idx:/usr/share/datasets/fashion-mnist \
  --epochs=5 --checkpoint="$out/checkpoints"
