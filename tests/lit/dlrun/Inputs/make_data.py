"""Writes dlrun's test data into DIR: a separable 3-class problem with 4
features (blobs.csv, x.npy/y.npy), a 2-feature linear regression (reg.csv),
and broken variants of each."""
import os
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
