// Compiling a model into a .dlm artifact (format: runtime/include/dlrt/Artifact.h).
//
// writeArtifact builds the entry points (train when the spec has losses,
// eval, infer), optimizes each (simplify, cse, dce), groups its nodes into
// kernels, compiles every distinct kernel once for the target (in parallel,
// through an on-disk cache keyed by the kernel's text, the target, Halide's
// version and this compiler's build), links them with one Halide runtime into
// a shared object, plans each entry's buffers (temps with their live ranges),
// and writes the file atomically.
#pragma once

#include "ir/IR.h"

#include <ostream>
#include <string>

namespace dlc::codegen {

struct ArtifactOptions {
  std::string target = "host"; // host, x86-64-avx2, x86-64-avx512, host-cuda, or a Halide target
  std::string cacheDir;        // "" = $DLC_CACHE_DIR, else ~/.cache/dlc
  bool useCache = true;
  int jobs = 0;                // parallel compiles; 0 = one per core
  std::ostream *report = nullptr; // timings and cache hits, when set
  // The model as a serialized ONNX ModelProto, embedded for `dlrun export`
  // (manifest key "onnx"), where it came from ("onnx": the input file; "dlg":
  // exported from the inference graph), and which of the model's values its
  // initializers hold. Empty: nothing is embedded.
  struct OnnxValue {
    std::string value; // a param or state of the model
    // "": the initializer named `value`. Else a BatchNorm statistic dlc keeps
    // apart while the ONNX model shares one initializer between several
    // inputs (exporters merge equal tensors): input `input` of the node
    // whose first output is `nodeOutput`.
    std::string nodeOutput;
    int input = 0;
  };
  std::string onnxModel, onnxSource;
  std::vector<OnnxValue> onnxValues;
};

Status writeArtifact(const Graph &model, const TrainSpec &spec, const ArtifactOptions &o,
                     const std::string &path);

// The graph's kernels as Halide's lowered statements (`halide`) or as
// assembly (`asm`) for the target, each headed by the nodes it computes.
Expected<std::string> emitKernels(const Graph &g, const std::string &target,
                                  const std::string &form);

} // namespace dlc::codegen
