// Placeholder until the importer lands.
#include "frontend/onnx/OnnxImporter.h"
namespace dlc {
Expected<std::unique_ptr<Graph>> importOnnxFile(const std::string &path) {
  return Error(path + ": onnx import is not implemented yet");
}
Expected<std::unique_ptr<Graph>> importOnnxBytes(const std::string &, const std::string &n, const std::string &) {
  return Error(n + ": onnx import is not implemented yet");
}
Expected<Tensor> readTensorProtoFile(const std::string &path) {
  return Error(path + ": not implemented yet");
}
} // namespace dlc
