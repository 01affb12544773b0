#!/usr/bin/python3
"""End-to-end oracle test: dlc's ONNX importer and reference interpreter
against PyTorch on torchvision nets (tools/scripts/check_torchvision.py):
resnet18 and squeezenet1_0 in eval mode, resnet18 in training mode.

  /usr/bin/python3 tests/e2e/torchvision_test.py [--dlc PATH]

The dlc binary: --dlc, else $DLC, else build/tools/dlc/dlc. Exits 0 on pass,
1 on failure, 77 (ctest's SKIP_RETURN_CODE) when this interpreter cannot
import torch, torchvision and onnx.
"""

import argparse
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(REPO, "tools", "scripts", "check_torchvision.py")
RUNS = [
    ["--models", "resnet18,squeezenet1_0"],
    ["--models", "resnet18", "--train"],
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dlc", default=os.environ.get(
        "DLC", os.path.join(REPO, "build", "tools", "dlc", "dlc")))
    args = ap.parse_args()
    try:
        import onnx  # noqa: F401
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as e:
        print(f"skipped: {sys.executable} cannot import {e.name} "
              "(needs Debian's python3-torch, python3-torchvision, python3-onnx)")
        return 77
    failed = False
    for extra in RUNS:
        cmd = [sys.executable, CHECK, "--dlc", args.dlc] + extra
        print("$ " + " ".join(cmd), flush=True)
        failed |= subprocess.call(cmd) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
