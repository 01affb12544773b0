"""Writes dlrun's test data into DIR: a separable 3-class problem with 4
features (blobs.csv, x.npy/y.npy), a 2-feature linear regression (reg.csv),
small IDX directories, and broken variants of each."""
import gzip
import os
import struct
import sys

import numpy as np

d = sys.argv[1]
rng = np.random.default_rng(0)
centers = np.array([[0, 0, 0, 0], [3, 3, 0, 0], [0, 3, 3, 3]], np.float32)
y = np.repeat(np.arange(3), 50)
x = (centers[y] + rng.normal(0, 0.5, (150, 4))).astype(np.float32)
names = np.array(["setosa", "versicolor", "virginica"])
with open(os.path.join(d, "blobs.csv"), "w") as f:
    f.write("f0,f1,f2,f3,species\n")
    for row, label in zip(x, y):
        f.write(",".join(f"{v:.5f}" for v in row) + f",{names[label]}\n")
np.save(os.path.join(d, "x.npy"), x)
np.save(os.path.join(d, "y.npy"), y.astype(np.int64))
np.save(os.path.join(d, "x5.npy"), np.ones((150, 5), np.float32))
# 20,000 examples: at batch 1, an epoch long enough (~0.2 s) to interrupt.
np.save(os.path.join(d, "x_many.npy"), np.tile(x, (134, 1))[:20000])
np.save(os.path.join(d, "y_many.npy"), np.tile(y, 134)[:20000].astype(np.int64))
bad = y.astype(np.int64).copy()
bad[7] = 7
np.save(os.path.join(d, "y_range.npy"), bad)
with open(os.path.join(d, "corrupt.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00garbage")
xr = rng.normal(0, 1, (200, 2)).astype(np.float32)
yr = 3 * xr[:, 0] - 2 * xr[:, 1] + 1
with open(os.path.join(d, "reg.csv"), "w") as f:
    for row, t in zip(xr, yr):
        f.write(f"{row[0]:.6f},{row[1]:.6f},{t:.6f}\n")
with open(os.path.join(d, "fields.csv"), "w") as f:
    f.write("a,b,y\n1,2,3\n4,5,6\n7,8\n")
with open(os.path.join(d, "nan.csv"), "w") as f:
    f.write("a,b,y\n1,2,3\n4,five,6\n")
os.makedirs(os.path.join(d, "idx"), exist_ok=True)
for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
    with open(os.path.join(d, "idx", name), "wb") as f:
        f.write(b"\x1f\x8b\x08\x00garbage, not deflate data")

# More broken data: IDX directories (2x2 "images", 10 records) with one fault
# each, .npy files of the wrong dtype, with a malformed header or cut short,
# labels that are negative, real numbers or too few, and an empty CSV.


def idx(code, shape, payload):
    return struct.pack(">HBB", 0, code, len(shape)) + struct.pack(f">{len(shape)}I", *shape) + payload


images = idx(0x08, (10, 2, 2), bytes(range(40)))
labels = idx(0x08, (10,), bytes([0, 1, 2] * 3 + [0]))
idx_dirs = {
    "idx-ok": {"train-images-idx3-ubyte": images, "train-labels-idx1-ubyte": labels},
    "idx-short": {"train-images-idx3-ubyte": images[:16 + 12], "train-labels-idx1-ubyte": labels},
    "idx-gzcut": {"train-images-idx3-ubyte.gz": gzip.compress(images)[:30],
                  "train-labels-idx1-ubyte": labels},
    "idx-magic": {"train-images-idx3-ubyte": b"\x08\x03" + images[2:],
                  "train-labels-idx1-ubyte": labels},
    "idx-count": {"train-images-idx3-ubyte": images,
                  "train-labels-idx1-ubyte": idx(0x08, (9,), bytes(9))},
    "idx-nolabels": {"train-images-idx3-ubyte": images},
    "idx-float": {"train-images-idx3-ubyte": images,
                  "train-labels-idx1-ubyte": idx(0x0D, (10,), bytes(40))},
}
for sub, files in idx_dirs.items():
    os.makedirs(os.path.join(d, sub), exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, sub, name), "wb") as f:
            f.write(data)
np.save(os.path.join(d, "x_complex.npy"), x.astype(np.complex64))
np.save(os.path.join(d, "x_text.npy"), np.array([["a"] * 4] * 150))
with open(os.path.join(d, "x.npy"), "rb") as f:
    whole = f.read()
with open(os.path.join(d, "x_short.npy"), "wb") as f:
    f.write(whole[:-100])
with open(os.path.join(d, "x_header.npy"), "wb") as f:
    h = b"{'shape': (150, 4), }".ljust(117) + b"\n"
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h)
neg = y.astype(np.int64).copy()
neg[3] = -1
np.save(os.path.join(d, "y_negative.npy"), neg)
np.save(os.path.join(d, "y_real.npy"), y.astype(np.float32))
np.save(os.path.join(d, "y_few.npy"), y[:149].astype(np.int64))
open(os.path.join(d, "empty.csv"), "w").close()
