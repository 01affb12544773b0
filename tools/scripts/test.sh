#!/usr/bin/env bash
# Sets up, builds and runs every test: GoogleTest, lit, the ONNX conformance
# table and the torchvision oracle (all through `ninja check`), then the fuzzers
# for a bounded time (FUZZ_SECONDS each, default 30).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/setup.sh
bash tools/scripts/build.sh
ninja -C build check
if [ -x tools/scripts/run_fuzzers.sh ] || [ -f tools/scripts/run_fuzzers.sh ]; then
  FUZZ_SECONDS="${FUZZ_SECONDS:-30}" bash tools/scripts/run_fuzzers.sh
fi
