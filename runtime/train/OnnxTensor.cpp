// dlrt tensor -> ONNX TensorProto (OnnxTensor.h).
#include "runtime/train/OnnxTensor.h"

#include <utility>

namespace dlrt {

int32_t onnxElemType(DType t) {
  switch (t) {
  case DType::F32:
    return onnx::TensorProto::FLOAT;
  case DType::F64:
    return onnx::TensorProto::DOUBLE;
  case DType::F16:
    return onnx::TensorProto::FLOAT16;
  case DType::I64:
    return onnx::TensorProto::INT64;
  case DType::I32:
    return onnx::TensorProto::INT32;
  case DType::I8:
    return onnx::TensorProto::INT8;
  case DType::U8:
    return onnx::TensorProto::UINT8;
  case DType::Bool:
    return onnx::TensorProto::BOOL;
  }
  return onnx::TensorProto::UNDEFINED;
}

void toOnnxTensor(const Tensor &t, std::string name, onnx::TensorProto &out) {
  out.Clear();
  out.set_name(std::move(name));
  for (int64_t d : t.shape())
    out.add_dims(d);
  out.set_data_type(onnxElemType(t.dtype()));
  // dlrt stores every dtype little-endian and bools as 0/1 bytes, which is
  // raw_data's layout.
  out.set_raw_data(static_cast<const char *>(t.raw()), t.byteSize());
}

} // namespace dlrt
