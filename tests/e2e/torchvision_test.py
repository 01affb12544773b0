#!/usr/bin/python3
"""End-to-end oracle test: dlc's ONNX importer and reference interpreter
against PyTorch on torchvision nets (tools/scripts/check_torchvision.py):
resnet18 and squeezenet1_0 in eval mode, resnet18 in training mode.

  /usr/bin/python3 tests/e2e/torchvision_test.py [--dlc PATH]

The dlc binary: --dlc, else $DLC, else build/tools/dlc/dlc. Exits 0 on pass,
1 on failure, 77 (ctest's SKIP_RETURN_CODE) when this interpreter cannot
import torch, torchvision and onnx.
"""

import sys

from e2e import run

if __name__ == "__main__":
    sys.exit(run(__doc__, "check_torchvision.py", [["--models", "resnet18,squeezenet1_0"], ["--models", "resnet18", "--train"]], ["onnx", "torch", "torchvision"]))
