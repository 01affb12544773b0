#!/usr/bin/env bash
# Installs every Debian package dlc needs to build, test and benchmark.
# Idempotent and non-interactive: when everything is present it does nothing.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ libcli11-dev nlohmann-json3-dev zlib1g-dev
  libhalide14-0-dev llvm-14-dev llvm-14-tools
  libonnx-dev libprotobuf-dev protobuf-compiler
  # tests and benchmarks
  libgtest-dev libbenchmark-dev libdnnl-dev clang-14 libclang-rt-14-dev
  python3-venv python3-numpy python3-onnx python3-torch python3-torchvision
  python3-sklearn libonnx-testdata dataset-fashion-mnist graphviz
  # OpenCL on the CPU: the runtime's GPU buffer handling is tested on it
  pocl-opencl-icd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages are installed"
  exit 0
fi
echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
