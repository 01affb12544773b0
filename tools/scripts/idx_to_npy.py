#!/usr/bin/env python3
"""Converts an IDX file (gzipped or not) to .npy: images (3 dims) to float32
[count, 1, rows, cols] scaled to [0, 1]; labels (1 dim) to int64 [count]."""
import argparse
import gzip

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("idx")
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=0, help="first N items (0: all)")
    ap.add_argument("--skip", type=int, default=0, help="items to skip first")
    a = ap.parse_args()
    opener = gzip.open if a.idx.endswith(".gz") else open
    with opener(a.idx, "rb") as f:
        data = f.read()
    if data[:2] != b"\0\0" or data[2] != 0x08 or data[3] not in (1, 3):
        raise SystemExit(f"error: {a.idx}: not an IDX file of unsigned bytes with 1 or 3 dims")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(data[3])]
    n, item = dims[0], int(np.prod(dims[1:], dtype=np.int64))
    start = min(a.skip, n)
    count = n - start if not a.count else min(a.count, n - start)
    offset = 4 + 4 * len(dims) + start * item
    values = np.frombuffer(data, dtype=np.uint8, count=count * item, offset=offset)
    if len(dims) == 1:
        np.save(a.out, values.astype(np.int64))
    else:
        np.save(a.out, (values.reshape(count, 1, *dims[1:]) / 255.0).astype(np.float32))

if __name__ == "__main__":
    main()
