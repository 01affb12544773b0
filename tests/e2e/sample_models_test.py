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

import sys

from e2e import run

if __name__ == "__main__":
    sys.exit(run(__doc__, "check_sample_models.py", [[]], ["numpy", "torch"]))
