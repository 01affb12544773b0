"""Prints a safetensors checkpoint's tensors (name, dtype, shape) and metadata,
sorted, as read by Python's safetensors."""
import sys

from safetensors import safe_open

with safe_open(sys.argv[1], framework="numpy") as f:
    for name in sorted(f.keys()):
        t = f.get_tensor(name)
        print(name, t.dtype, t.shape)
    for key, value in sorted(f.metadata().items()):
        print(key, "=", value)
