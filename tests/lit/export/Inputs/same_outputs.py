"""Compares the outputs two `dlc --run --output-dir` runs wrote: A B NAME...
(DIR/NAME.npy each); same dtype and shape, values within 1e-6 relative to
the largest |value| (the exporter writes Softplus with a beta as
softplus(beta x) / beta, which rounds differently)."""
import sys

import numpy as np

a, b, names = sys.argv[1], sys.argv[2], sys.argv[3:]
for n in names:
    x, y = np.load(f"{a}/{n}.npy"), np.load(f"{b}/{n}.npy")
    if x.dtype != y.dtype or x.shape != y.shape:
        sys.exit(f"error: {n}: {x.dtype}{x.shape} against {y.dtype}{y.shape}")
    err = float(np.abs(x.astype(np.float64) - y).max()) / max(float(np.abs(x).max()), 1e-30)
    print(f"{n}: {x.dtype}{list(x.shape)} max rel diff {err:.1e}")
    if not err <= 1e-6:
        sys.exit(f"error: {n} differs")
