#!/usr/bin/python3
"""End-to-end oracle test of training: dlc's training step (loss, autodiff,
optimizer update) on the sample models against torch.optim, every optimizer
(tools/scripts/check_training.py), and torchvision's ResNet-18 exported to
ONNX in training mode, one SGD-momentum step. Each is run in float64 (the
verdict: dlc vs PyTorch, both exact) and in float32 (reported; errors beyond
the bound there are "f32-noise", see check_training.py).

The matrix, to keep the run near its float32-only time: 1 and 5 steps on
mlp, lenet5 and resnet_small (the models with ReLU/BatchNorm depth, where
several steps matter); 1 step on linear_regression, logistic_regression and
vgg_small (vgg_small's interpreted runs are most of the time; the 5-step
runs of all six models: check_training.py without --multi-step-models).

  /usr/bin/python3 tests/e2e/training_test.py [--dlc PATH]

The dlc binary: --dlc, else $DLC, else build/tools/dlc/dlc. Exits 0 on pass,
1 on failure, 77 (ctest's SKIP_RETURN_CODE) when this interpreter cannot
import torch, torchvision and onnx.
"""

import argparse
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(REPO, "tools", "scripts", "check_training.py")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dlc", default=os.environ.get(
        "DLC", os.path.join(REPO, "build", "tools", "dlc", "dlc")))
    args = ap.parse_args()
    try:
        import numpy  # noqa: F401
        import onnx  # noqa: F401
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as e:
        print(f"skipped: {sys.executable} cannot import {e.name} "
              "(needs Debian's python3-torch, python3-torchvision, python3-onnx)")
        return 77
    cmd = [sys.executable, CHECK, "--dlc", args.dlc, "--torchvision",
           "--multi-step-models", "mlp,lenet5,resnet_small"]
    print("$ " + " ".join(cmd), flush=True)
    return 1 if subprocess.call(cmd) != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
