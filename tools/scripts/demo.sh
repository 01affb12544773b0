#!/usr/bin/env bash
# The main job, end to end on a fresh machine: set up, build, compile LeNet-5
# and run it on the reference interpreter on real Fashion-MNIST test images.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/setup.sh
bash tools/scripts/build.sh
dlc=build/tools/dlc/dlc
out=build/demo
mkdir -p "$out"

echo "== LeNet-5 as dlc IR (models/lenet5.dlg after simplify,cse,dce) =="
$dlc models/lenet5.dlg --passes=simplify,cse,dce --emit=ir --elide-weights

echo "== the first 4 Fashion-MNIST test images, through the reference interpreter =="
/usr/bin/python3 tools/scripts/idx_to_npy.py \
  /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz "$out/images.npy" --count 4
$dlc models/lenet5.dlg --run --input "x=$out/images.npy" --output-dir "$out"
echo "(weights are freshly initialized: training arrives with dlc --train)"
