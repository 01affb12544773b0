// Dense host tensors: the one data type shared by the runtime, the reference
// interpreter and the compiler's constants.
//
// A Tensor is a dtype, a static shape and a contiguous row-major buffer. Copies
// share the buffer (like a numpy view of the whole array); clone() copies it.
// Scalars have an empty shape and one element.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlrt {

// Element types. The order is part of the artifact format: append only.
enum class DType : uint8_t { F32, F64, F16, I64, I32, I8, U8, Bool };

size_t dtypeSize(DType t);
// "f32", "f64", "f16", "i64", "i32", "i8", "u8", "bool".
std::string_view dtypeName(DType t);
std::optional<DType> parseDType(std::string_view name);
bool isFloat(DType t);

// IEEE half <-> float, round to nearest even.
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);

int64_t numElements(const std::vector<int64_t> &shape);
std::string shapeString(const std::vector<int64_t> &shape); // "[2, 3]"

class Tensor {
public:
  Tensor() = default;
  // Zero-filled.
  Tensor(DType dtype, std::vector<int64_t> shape);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t> &shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t numel() const { return numElements(shape_); }
  size_t byteSize() const { return numel() * dtypeSize(dtype_); }
  bool empty() const { return !data_; }

  void *raw() { return data_ ? data_->data() : nullptr; }
  const void *raw() const { return data_ ? data_->data() : nullptr; }
  template <typename T> T *data() { return static_cast<T *>(raw()); }
  template <typename T> const T *data() const {
    return static_cast<const T *>(raw());
  }

  // Element i converted to double / written from double (any dtype).
  double getDouble(int64_t i) const;
  void setDouble(int64_t i, double v);
  // Element i as int64 (integer and bool dtypes exactly; floats truncated).
  int64_t getInt(int64_t i) const;

  Tensor clone() const;
  // Same buffer, new shape with the same element count.
  Tensor reshaped(std::vector<int64_t> shape) const;
  // Element-wise conversion.
  Tensor cast(DType to) const;
  bool sameBytes(const Tensor &o) const;

  static Tensor scalar(DType dtype, double v);
  static Tensor fromVector(DType dtype, std::vector<int64_t> shape,
                           const std::vector<double> &values);

private:
  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  std::shared_ptr<std::vector<std::byte>> data_;
};

} // namespace dlrt
