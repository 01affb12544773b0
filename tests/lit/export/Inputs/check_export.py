"""Checks a model written by `dlrun export`:
  - onnx.checker.check_model (with full_check: shape inference too) passes;
  - every checkpoint tensor that names an initializer (or, for BatchNorm
    statistics export added where the name was taken, NAME_K) is that
    initializer, bit for bit, and --params NAME... (the model's params and
    BatchNorm statistics) are all among them;
  - the exported model's outputs as run by dlc's reference interpreter
    (--dlc-out, from `dlc MODEL.onnx --run`) and by onnxruntime where it is
    installed equal `dlrun predict`'s (--predict) within --rtol, relative to
    the largest |output| (f32 kernels against the interpreter's f64 sums).
usage: check_export.py MODEL.onnx CKPT.safetensors --input X.npy --predict P.npy
       --dlc-out OUT.npy [--rtol 1e-5] [--params NAME ...]"""
import argparse
import re
import sys

import os

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "dlrun", "Inputs"))
from checkpoint import load  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("model")
ap.add_argument("checkpoint")
ap.add_argument("--input", required=True)
ap.add_argument("--predict", required=True)
ap.add_argument("--dlc-out", required=True)
ap.add_argument("--rtol", type=float, default=1e-5)
ap.add_argument("--params", nargs="*", default=[])
a = ap.parse_args()

m = onnx.load(a.model)
onnx.checker.check_model(m, full_check=True)
tensors, _ = load(a.checkpoint)
inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}


def initializer_of(name):
    """The initializer holding checkpoint tensor `name`: the one of that name,
    else (a BatchNorm statistic export added where the name was taken) the
    one named name_K."""
    if name in inits:
        return name
    return next((i for i in inits if re.fullmatch(re.escape(name) + r"_\d+", i)), None)


replaced = sorted(n for n in tensors if initializer_of(n))
for name in replaced:
    init = inits[initializer_of(name)]
    if init.dtype != tensors[name].dtype or init.shape != tensors[name].shape or \
            init.tobytes() != tensors[name].tobytes():
        sys.exit(f"error: initializer '{initializer_of(name)}' is not the checkpoint's '{name}'")
missing = sorted(set(a.params) - set(replaced))
if missing:
    sys.exit(f"error: not taken from the checkpoint: {missing}")

x = np.load(a.input)
want = np.load(a.predict)


def compare(what, got):
    if got.shape != want.shape:
        sys.exit(f"error: {what}: shape {got.shape}, dlrun predict's {want.shape}")
    scale = max(float(np.abs(want).max()), 1e-30)
    err = float(np.abs(got.astype(np.float64) - want).max()) / scale
    print(f"{what}: max |diff| / max |predict| = {err:.2e} (rtol {a.rtol:g})")
    if not err <= a.rtol:
        sys.exit(f"error: {what} differs from dlrun predict")


print(f"checker: ok; {len(replaced)} initializers from the checkpoint")
compare("dlc --run", np.load(a.dlc_out))
try:
    import onnxruntime
except ImportError:
    print("onnxruntime: not installed, skipped")
else:
    s = onnxruntime.InferenceSession(a.model, providers=["CPUExecutionProvider"])
    compare("onnxruntime", s.run(None, {s.get_inputs()[0].name: x})[0])
