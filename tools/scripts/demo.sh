#!/usr/bin/env bash
# The main job, end to end on a fresh machine: set up, build, compile LeNet-5
# into its training step, and train it on real Fashion-MNIST images with the
# reference interpreter (the oracle; the Halide backend and dlrun come next).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/setup.sh
bash tools/scripts/build.sh
dlc=build/tools/dlc/dlc
data=/usr/share/datasets/fashion-mnist
out=build/demo
mkdir -p "$out"

echo "== LeNet-5 (models/lenet5.dlg) as dlc IR =="
$dlc models/lenet5.dlg --emit=ir --elide-weights

echo "== its training step: forward, cross-entropy, backward, Adam =="
$dlc models/lenet5.dlg --train --loss=cross_entropy --optimizer=adam --lr=0.002 \
  --passes=simplify,cse,dce --emit=ir -o "$out/lenet5-train.dlg"
grep -c " = " "$out/lenet5-train.dlg" | xargs echo "nodes and declarations:"

echo "== 30 Adam steps on one batch of 64 Fashion-MNIST training images =="
py=/usr/bin/python3
$py tools/scripts/idx_to_npy.py $data/train-images-idx3-ubyte.gz "$out/x.npy" --count 64
$py tools/scripts/idx_to_npy.py $data/train-labels-idx1-ubyte.gz "$out/label.npy" --count 64
$dlc models/lenet5.dlg --train --loss=cross_entropy --optimizer=adam --lr=0.002 \
  --run --steps=30 --input x="$out/x.npy" --input label="$out/label.npy" \
  --output-dir "$out/train" | grep '^step'
