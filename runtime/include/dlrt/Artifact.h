// The .dlm artifact format: one file holding a model's compiled kernels, its
// execution plan per entry point, and its parameters' initial values. This
// header is the format's specification; the compiler writes it
// (compiler/codegen/Artifact.cpp) and the runtime reads it (runtime/core).
//
// Layout (all integers little-endian):
//
//   offset 0   Header (64 bytes, below)
//   manifest   UTF-8 JSON, manifestSize bytes
//   code       a shared object (ELF) with every kernel and one Halide runtime
//   data       initial values of params, states and constants; each blob
//              starts on a 64-byte boundary relative to the data section
//
// The checksum is FNV-1a 64 over every byte after the header. The runtime
// checks magic, version, sizes and checksum, then the manifest's required CPU
// features against this machine, before it loads any code.
//
// Manifest (JSON object):
//   "format": 1
//   "target": Halide target string the kernels were compiled for
//   "cpu_features": ["avx2", "avx512f", ...]   needed by the kernels
//   "values": [ {"name", "dtype", "dims": [int | "N", ...],
//                "kind": "param" | "state" | "const",
//                "trainable": bool, "data": [offset, bytes]} ]
//              persistent values, shared by all entries
//   "kernels": [ {"symbol": "k_<hash>", "arity": n} ]   each takes buffers
//              (inputs then outputs) through its <symbol>_argv entry
//   "entries": { "train" | "eval" | "infer": {
//       "inputs":  [ {"name", "dtype", "dims"} ],
//       "outputs": [ {"name", "buffer"} ],
//       "buffers": [ {"dtype", "dims", "source": "input" | "value" | "temp" | "alias",
//                     "ref": input index | value index | buffer index,
//                     "live": [first, last]} ],
//                     an alias (format 2) is a view of an earlier buffer:
//                     its memory, of the same dtype and element count, read
//                     in the alias's dims (a Reshape: no kernel copies it)
//       "steps":   [ {"kernel": index, "args": [buffer, ...], "inputs": n,
//                     "symbols": ["N", ...]} ],   args: n inputs, then outputs;
//                     symbols (optional) are passed as int32 scalars between
//                     the inputs and the outputs
//       "updates": [ {"value": value index, "buffer": buffer} ] } }
//   "onnx": {"data": [offset, bytes], "source": "onnx" | "dlg",
//            "initializers": [name, ...],
//            "bindings": [ {"value", "node_output", "input"} ]}   (optional)
//              the model as a serialized ONNX ModelProto for `dlrun export`:
//              the input file when compiled from .onnx, the inference graph
//              exported by dlc (opset 17) when compiled from .dlg; a blob of
//              the data section like a value's. "initializers" names the
//              values above (the model's params and BatchNorm statistics,
//              not optimizer state) that are initializers of the same name
//              in that model: what export replaces with a checkpoint's.
//              "bindings" are BatchNorm statistics dlc keeps per node where
//              the ONNX model shares one initializer between several inputs
//              (exporters merge equal tensors): export adds each as an
//              initializer and makes it input `input` of the node whose
//              first output is `node_output`. Added without a version bump:
//              readers that do not know the key ignore it.
//   "train": {"optimizer": "adam", "lr": 0.001, "args": {name: number, ...},
//             "lr_schedule": "cosine"}   (optional; with a train entry)
//              the settings dlc compiled the training step with: the
//              optimizer, the learning rate dlrun feeds unless its --lr says
//              otherwise (dlc's --lr or the train block's, else the
//              optimizer's default), the hyper-parameters given (torch.optim's
//              names; the others are the optimizer's defaults, compiled in),
//              and the learning-rate schedule dlrun applies unless its
//              --lr-schedule says otherwise (dlrt/LrSchedule.h syntax; absent:
//              constant). Added without a version bump: readers that do not
//              know the key ignore it.
//   Temps live from step `first` to step `last` (inclusive); the runtime packs
//   them into one arena, reusing memory between temps whose lives do not
//   overlap, once the symbolic dims are known from the inputs. Updates copy a
//   buffer into a persistent value after the last step.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dlrt {

inline constexpr char kArtifactMagic[8] = {'\x89', 'D', 'L', 'M', '\r', '\n', '\x1a', '\n'};
// 2: buffers may be aliases. The runtime reads versions 1 to this one.
inline constexpr uint32_t kArtifactVersion = 2;

struct ArtifactHeader {
  char magic[8];
  uint32_t version;
  uint32_t headerSize; // sizeof(ArtifactHeader)
  uint64_t fileSize;
  uint64_t checksum; // FNV-1a 64 of bytes [headerSize, fileSize)
  uint64_t manifestSize;
  uint64_t codeSize;
  uint64_t dataSize;
  uint64_t reserved;
};
static_assert(sizeof(ArtifactHeader) == 64, "the header is 64 bytes");

inline uint64_t fnv1a64(const void *data, size_t n, uint64_t h = 0xcbf29ce484222325ull) {
  const auto *p = static_cast<const unsigned char *>(data);
  for (size_t i = 0; i < n; ++i)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

} // namespace dlrt
