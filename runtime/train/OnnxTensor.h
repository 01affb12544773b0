// dlrt tensors as ONNX TensorProtos: the one encoding that dlc's IR -> ONNX
// exporter (frontend/onnx/OnnxExporter.cpp) and `dlrun export` (Export.cpp)
// both write, so an initializer dlc embeds and the one dlrun replaces it with
// agree on dtype, dims and byte layout. Lives in dlrt_onnx, which links
// onnx_proto and protobuf but nothing of the compiler.
#pragma once

#include "dlrt/Tensor.h"

#include <onnx/onnx_pb.h>

#include <string>

namespace dlrt {

// TensorProto.DataType of a dtype (every dtype has one).
int32_t onnxElemType(DType t);

// Replaces `out` by the tensor: name, dims, data type and little-endian
// raw_data (no typed fields, no external data). `name` is taken by value: it
// may be out's own name, which clearing `out` would destroy.
void toOnnxTensor(const Tensor &t, std::string name, onnx::TensorProto &out);

} // namespace dlrt
