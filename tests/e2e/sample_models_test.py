#!/usr/bin/python3
"""End-to-end test of the sample models: every models/*.dlg (and committed
models/onnx/*.onnx) through dlc against its PyTorch mirrors
(tools/scripts/check_sample_models.py): types, parameters, and the reference
interpreter's output on the mirror's weights.

  /usr/bin/python3 tests/e2e/sample_models_test.py [--dlc PATH]

The dlc binary: --dlc, else $DLC, else build/tools/dlc/dlc. Exits 0 on pass,
1 on failure, 77 (ctest's SKIP_RETURN_CODE) when this interpreter cannot
import torch.
"""

import argparse
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(REPO, "tools", "scripts", "check_sample_models.py")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dlc", default=os.environ.get(
        "DLC", os.path.join(REPO, "build", "tools", "dlc", "dlc")))
    args = ap.parse_args()
    try:
        import numpy  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        print(f"skipped: {sys.executable} cannot import {e.name} "
              "(needs Debian's python3-torch and python3-numpy)")
        return 77
    cmd = [sys.executable, CHECK, "--dlc", args.dlc]
    print("$ " + " ".join(cmd), flush=True)
    return 1 if subprocess.call(cmd) != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
