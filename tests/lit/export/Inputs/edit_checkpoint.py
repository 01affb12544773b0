"""Writes a changed copy of a dlrun checkpoint: IN OUT [--drop NAME]...
[--add NAME]... (an added tensor is a 2-element f32 vector)."""
import argparse
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "dlrun", "Inputs"))
from checkpoint import DTYPES, load  # noqa: E402


def save(path, tensors, meta):
    names = {np.dtype(v).str: k for k, v in DTYPES.items()}
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        t = np.ascontiguousarray(t)
        header[name] = {"dtype": names[t.dtype.str], "shape": list(t.shape),
                        "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
        blobs.append(t.tobytes())
    if meta:
        header["__metadata__"] = meta
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("src")
ap.add_argument("dst")
ap.add_argument("--drop", action="append", default=[])
ap.add_argument("--add", action="append", default=[])
a = ap.parse_args()
tensors, meta = load(a.src)
for name in a.drop:
    del tensors[name]
for name in a.add:
    tensors[name] = np.zeros(2, np.float32)
save(a.dst, tensors, meta)
