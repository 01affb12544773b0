"""Prints what a .dlm embeds for `dlrun export` (manifest key "onnx",
runtime/include/dlrt/Artifact.h): the source, the initializers export takes
from a checkpoint, and each initializer of the embedded ONNX model with its
storage (inline or external) and values."""
import json
import struct
import sys

import onnx
from onnx import numpy_helper

with open(sys.argv[1], "rb") as f:
    data = f.read()
_, _, hsize, _, _, msize, csize, dsize, _ = struct.unpack("<8sIIQQQQQQ", data[:64])
manifest = json.loads(data[hsize:hsize + msize])
e = manifest["onnx"]
off, n = e["data"]
start = hsize + msize + csize + off
m = onnx.ModelProto.FromString(data[start:start + n])
print("source", e["source"], "initializers", e["initializers"], "bindings", e["bindings"])
for t in m.graph.initializer:
    where = "external" if t.data_location == onnx.TensorProto.EXTERNAL else "inline"
    print(t.name, where, numpy_helper.to_array(t).tolist())
