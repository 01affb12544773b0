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

import sys

from e2e import run

if __name__ == "__main__":
    sys.exit(run(__doc__, "check_training.py", [["--torchvision", "--multi-step-models", "mlp,lenet5,resnet_small"]], ["numpy", "onnx", "torch", "torchvision"]))
