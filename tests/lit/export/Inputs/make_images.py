"""Writes 96 random 28x28 grey images (x.npy, f32 in [0, 1]) and class labels
(y.npy, 10 classes) into DIR: enough to train an image model for a few steps."""
import os
import sys

import numpy as np

rng = np.random.default_rng(0)
np.save(os.path.join(sys.argv[1], "x.npy"), rng.random((96, 1, 28, 28), dtype=np.float32))
np.save(os.path.join(sys.argv[1], "y.npy"), rng.integers(0, 10, 96).astype(np.int64))
