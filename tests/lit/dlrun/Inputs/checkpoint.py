"""Reads dlrun checkpoints with numpy alone, so the tests that compare or
inspect them need no safetensors package (the format is an 8-byte
little-endian header size, a JSON header, then raw little-endian data).

  checkpoint.py same A B     every tensor of A equals B's bit for bit, and
                             both name the same tensors (metadata aside)
  checkpoint.py finite A     every floating-point tensor holds finite values
  checkpoint.py meta A KEY   prints one metadata value
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4",
          "I8": "i1", "U8": "u1", "BOOL": "?"}


def load(path):
    """(tensors by name, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, h in header.items():
        begin, end = h["data_offsets"]
        a = np.frombuffer(data[base + begin:base + end], DTYPES[h["dtype"]])
        tensors[name] = a.reshape(h["shape"])
    return tensors, meta


def same(a, b):
    ta, _ = load(a)
    tb, _ = load(b)
    if sorted(ta) != sorted(tb):
        return f"{a} and {b} hold other tensors: {sorted(ta)} vs {sorted(tb)}"
    for name in ta:
        # Bytes, not values: NaN != NaN, and -0.0 == 0.0 would hide a difference.
        if ta[name].shape != tb[name].shape or ta[name].tobytes() != tb[name].tobytes():
            diff = np.abs(ta[name].astype(np.float64) - tb[name].astype(np.float64)).max()
            return f"{name} differs between {a} and {b} (max abs difference {diff})"
    return None


def finite(a):
    tensors, _ = load(a)
    for name, t in tensors.items():
        if t.dtype.kind == "f" and not np.isfinite(t).all():
            return f"{a}: {name} holds non-finite values"
    return None


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "meta":
        print(load(args[0])[1][args[1]])
        return
    problem = same(*args) if cmd == "same" else finite(*args)
    if problem:
        sys.exit(problem)
    print("ok")


if __name__ == "__main__":
    main()
