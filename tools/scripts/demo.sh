#!/usr/bin/env bash
# The main job, end to end on a fresh machine: set up, build, compile LeNet-5
# (models/lenet5.dlg) into an artifact of Halide kernels whose training step
# is forward, cross-entropy, backward and Adam, and train it with dlrun on
# Fashion-MNIST for 5 epochs, reporting test accuracy (about 89%).
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
$dlc models/lenet5.dlg --train --loss=cross_entropy --optimizer=adam --lr=0.001 \
  -o "$out/lenet5.dlm" --stats

echo "== training on Fashion-MNIST =="
$dlrun train "$out/lenet5.dlm" --data=idx:/usr/share/datasets/fashion-mnist \
  --epochs=5 --lr=0.001 --checkpoint="$out/checkpoints"
