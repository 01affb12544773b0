"""Rewrites a .dlm as a dlc from before `dlrun export` wrote it: the manifest
without its "onnx" key, the checksum recomputed (format:
runtime/include/dlrt/Artifact.h)."""
import json
import struct
import sys

HEADER = struct.Struct("<8sIIQQQQQQ")


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


src, dst = sys.argv[1], sys.argv[2]
with open(src, "rb") as f:
    data = f.read()
magic, version, hsize, fsize, checksum, msize, csize, dsize, reserved = HEADER.unpack(data[:64])
manifest = json.loads(data[hsize:hsize + msize])
del manifest["onnx"]
m = json.dumps(manifest, separators=(",", ":")).encode()
body = m + data[hsize + msize:]
with open(dst, "wb") as f:
    f.write(HEADER.pack(magic, version, hsize, hsize + len(body), fnv1a64(body), len(m), csize,
                        dsize, reserved) + body)
