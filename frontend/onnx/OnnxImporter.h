// ONNX -> IR. Reads .onnx files with the ONNX protobuf library (opsets 7-17),
// initializers in every storage form, external data relative to the model's
// folder. Ops map to the core op set; composite ops decompose. All
// unsupported ops are reported in one error before anything else happens.
#pragma once

#include "ir/IR.h"

#include <memory>
#include <string>

namespace dlc {

Expected<std::unique_ptr<Graph>> importOnnxFile(const std::string &path);
// `bytes` is a serialized ModelProto; `displayName` prefixes errors;
// external data is resolved under `baseDir` (empty: external data refused).
Expected<std::unique_ptr<Graph>> importOnnxBytes(const std::string &bytes,
                                                 const std::string &displayName,
                                                 const std::string &baseDir);
// A serialized TensorProto file (the ONNX backend tests' input_0.pb).
Expected<Tensor> readTensorProtoFile(const std::string &path);

} // namespace dlc
