"""Rewrites a .dlm's manifest with a Python expression over it (`m`), and
fixes up the header's sizes and checksum, so tests can forge artifacts that
pass the checksum but say something else."""
import json
import struct
import sys

path, expr = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
magic, version, hsize, fsize, checksum, msize, csize, dsize, _ = struct.unpack("<8sIIQQQQQQ", data[:64])
m = json.loads(data[64:64 + msize])
exec(expr)
manifest = json.dumps(m).encode()
body = manifest + data[64 + msize:]
h = 0xcbf29ce484222325
for b in body:
    h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
header = struct.pack("<8sIIQQQQQQ", magic, version, hsize, 64 + len(body), h, len(manifest), csize, dsize, 0)
open(path, "wb").write(header + body)
