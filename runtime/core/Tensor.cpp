// Tensor storage, dtype names and element conversions.
#include "dlrt/Tensor.h"

#include <cmath>
#include <cstring>

namespace dlrt {

size_t dtypeSize(DType t) {
  switch (t) {
  case DType::F32: return 4;
  case DType::F64: return 8;
  case DType::F16: return 2;
  case DType::I64: return 8;
  case DType::I32: return 4;
  case DType::I8: return 1;
  case DType::U8: return 1;
  case DType::Bool: return 1;
  }
  return 1;
}

static constexpr std::string_view kNames[] = {"f32", "f64", "f16", "i64",
                                              "i32", "i8",  "u8",  "bool"};

std::string_view dtypeName(DType t) { return kNames[static_cast<int>(t)]; }

std::optional<DType> parseDType(std::string_view name) {
  for (int i = 0; i < 8; ++i)
    if (kNames[i] == name)
      return static_cast<DType>(i);
  return std::nullopt;
}

bool isFloat(DType t) {
  return t == DType::F32 || t == DType::F64 || t == DType::F16;
}

float halfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else { // subnormal: renormalize
      int e = -1;
      do {
        ++e;
        man <<= 1;
      } while (!(man & 0x400));
      bits = sign | ((127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint16_t sign = (x >> 16) & 0x8000;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) // inf or nan
    return sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0);
  if (absx >= 0x477ff000u) // rounds to >= 65520: overflow to inf
    return sign | 0x7c00;
  if (absx < 0x38800000u) { // subnormal half (or zero)
    float a;
    std::memcpy(&a, &absx, 4);
    // Scale so the half subnormal LSB (2^-24) becomes 1, round to even.
    float scaled = a * 16777216.0f;
    return sign | static_cast<uint16_t>(std::nearbyint(scaled));
  }
  uint32_t exp = (absx >> 23) - 127 + 15, man = absx & 0x7fffff;
  uint32_t h = (exp << 10) | (man >> 13);
  uint32_t rest = man & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h; // carries into the exponent correctly
  return sign | static_cast<uint16_t>(h);
}

int64_t numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape)
    : dtype_(dtype), shape_(std::move(shape)),
      data_(std::make_shared<std::vector<std::byte>>(
          static_cast<size_t>(numElements(shape_)) * dtypeSize(dtype))) {}

double Tensor::getDouble(int64_t i) const {
  const void *p = raw();
  switch (dtype_) {
  case DType::F32: return static_cast<const float *>(p)[i];
  case DType::F64: return static_cast<const double *>(p)[i];
  case DType::F16: return halfToFloat(static_cast<const uint16_t *>(p)[i]);
  case DType::I64: return static_cast<double>(static_cast<const int64_t *>(p)[i]);
  case DType::I32: return static_cast<const int32_t *>(p)[i];
  case DType::I8: return static_cast<const int8_t *>(p)[i];
  case DType::U8: return static_cast<const uint8_t *>(p)[i];
  case DType::Bool: return static_cast<const uint8_t *>(p)[i] ? 1.0 : 0.0;
  }
  return 0;
}

int64_t Tensor::getInt(int64_t i) const {
  if (dtype_ == DType::I64)
    return data<int64_t>()[i];
  return static_cast<int64_t>(getDouble(i));
}

void Tensor::setDouble(int64_t i, double v) {
  void *p = raw();
  switch (dtype_) {
  case DType::F32: static_cast<float *>(p)[i] = static_cast<float>(v); break;
  case DType::F64: static_cast<double *>(p)[i] = v; break;
  case DType::F16:
    static_cast<uint16_t *>(p)[i] = floatToHalf(static_cast<float>(v));
    break;
  case DType::I64: static_cast<int64_t *>(p)[i] = static_cast<int64_t>(v); break;
  case DType::I32: static_cast<int32_t *>(p)[i] = static_cast<int32_t>(v); break;
  case DType::I8: static_cast<int8_t *>(p)[i] = static_cast<int8_t>(v); break;
  case DType::U8: static_cast<uint8_t *>(p)[i] = static_cast<uint8_t>(v); break;
  case DType::Bool: static_cast<uint8_t *>(p)[i] = v != 0.0; break;
  }
}

Tensor Tensor::clone() const {
  Tensor t(dtype_, shape_);
  if (byteSize())
    std::memcpy(t.raw(), raw(), byteSize());
  return t;
}

Tensor Tensor::reshaped(std::vector<int64_t> shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::cast(DType to) const {
  Tensor t(to, shape_);
  int64_t n = numel();
  if (to == DType::I64 && dtype_ == DType::I64) {
    std::memcpy(t.raw(), raw(), byteSize());
    return t;
  }
  for (int64_t i = 0; i < n; ++i) {
    if (to == DType::I64 && !isFloat(dtype_))
      t.data<int64_t>()[i] = getInt(i);
    else
      t.setDouble(i, getDouble(i));
  }
  return t;
}

bool Tensor::sameBytes(const Tensor &o) const {
  return dtype_ == o.dtype_ && shape_ == o.shape_ &&
         (byteSize() == 0 || std::memcmp(raw(), o.raw(), byteSize()) == 0);
}

Tensor Tensor::scalar(DType dtype, double v) {
  Tensor t(dtype, {});
  t.setDouble(0, v);
  return t;
}

Tensor Tensor::fromVector(DType dtype, std::vector<int64_t> shape,
                          const std::vector<double> &values) {
  Tensor t(dtype, std::move(shape));
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.numel(); ++i)
    t.setDouble(static_cast<int64_t>(i), values[i]);
  return t;
}

} // namespace dlrt
