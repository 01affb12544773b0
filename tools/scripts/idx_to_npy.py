#!/usr/bin/env python3
"""Converts an IDX image file (gzipped or not) to a float32 .npy of shape
[count, 1, rows, cols] scaled to [0, 1]."""
import argparse
import gzip

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("idx")
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=0, help="first N images (0: all)")
    a = ap.parse_args()
    opener = gzip.open if a.idx.endswith(".gz") else open
    with opener(a.idx, "rb") as f:
        data = f.read()
    if data[:2] != b"\0\0" or data[2] != 0x08 or data[3] != 3:
        raise SystemExit(f"error: {a.idx}: not an IDX file of unsigned bytes with 3 dims")
    n, rows, cols = (int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
    if a.count:
        n = min(n, a.count)
    pixels = np.frombuffer(data, dtype=np.uint8, count=n * rows * cols, offset=16)
    np.save(a.out, (pixels.reshape(n, 1, rows, cols) / 255.0).astype(np.float32))


if __name__ == "__main__":
    main()
