// Internal interface between the reference interpreter's driver
// (Interpreter.cpp) and its kernels, one function per op family in Ops.def
// (Elementwise.cpp, NN.cpp, Reduce.cpp, Movement.cpp), plus the numeric
// helpers they share.
//
// Contract: the driver has already re-run shape inference on the concrete
// input shapes, so a kernel may trust that its inputs are consistent with its
// attributes and that `outs` are allocated (zero-filled) with the right dtype
// and shape. Kernels only report data-dependent errors (an index out of range,
// an integer division by zero); the driver prefixes the node's description.
//
// Numerics: a kernel loads its operands into one of two working types, double
// for f32/f64/f16 and int64_t for the integer dtypes and bool, computes, and
// rounds or wraps once when storing. Integers therefore stay exact, and float
// accumulations run in double.
#pragma once

#include "ir/IR.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace dlc::ref {

using Shape = std::vector<int64_t>;
using dlrt::numElements;

struct KernelArgs {
  const Node &node;
  std::vector<const Tensor *> ins; // nullptr: an absent optional input
  std::vector<Tensor> &outs;
  const Tensor &in(size_t i) const { return *ins[i]; }
  bool hasIn(size_t i) const { return i < ins.size() && ins[i]; }
};

// Family kernels (*.cpp here): run<Family> for each family in Ops.def
// (generated; repeated declarations are harmless).
#define DLC_OP(Name, Family, MinIn, MaxIn, MinOut, MaxOut) Status run##Family(KernelArgs &a);
#include "ir/Ops.def"

// All elements of `t` in the working type E (double or int64_t). Loading an
// integer tensor as double is exact for |v| < 2^53 and only used by kernels
// that are float-only by definition.
template <typename E> std::vector<E> load(const Tensor &t);
// Stores `v` into `t` (same element count): floats round to nearest, integers
// wrap modulo their width, bool is v != 0.
template <typename E> void store(const std::vector<E> &v, Tensor &t);

// Row-major strides of `shape`.
Shape stridesOf(const Shape &shape);
// Strides to read an input of shape `in` broadcast (numpy rules) to `out`:
// 0 on broadcast axes and on leading axes the input lacks.
Shape broadcastStrides(const Shape &in, const Shape &out);

// Calls f(outIndex, offsets) for every element of `out` in row-major order,
// where offsets[k] is the element offset into operand k under `strides[k]`.
// An odometer keeps this free of divisions and allocations per element.
template <size_t K, typename F>
void forEachIndex(const Shape &out, const std::vector<Shape> &strides, F f) {
  int64_t total = numElements(out);
  if (total == 0)
    return;
  size_t rank = out.size();
  if (rank == 0) {
    int64_t offs[K > 0 ? K : 1] = {};
    f(int64_t(0), offs);
    return;
  }
  std::vector<int64_t> idx(rank, 0);
  int64_t offs[K > 0 ? K : 1] = {};
  int64_t inner = out[rank - 1];
  int64_t innerStride[K > 0 ? K : 1];
  for (size_t k = 0; k < K; ++k)
    innerStride[k] = strides[k][rank - 1];
  for (int64_t o = 0; o < total;) {
    int64_t base[K > 0 ? K : 1];
    for (size_t k = 0; k < K; ++k)
      base[k] = offs[k];
    for (int64_t i = 0; i < inner; ++i, ++o) {
      f(o, offs);
      for (size_t k = 0; k < K; ++k)
        offs[k] += innerStride[k];
    }
    for (size_t k = 0; k < K; ++k)
      offs[k] = base[k];
    // Carry into the outer axes.
    for (size_t d = rank - 1; d-- > 0;) {
      ++idx[d];
      for (size_t k = 0; k < K; ++k)
        offs[k] += strides[k][d];
      if (idx[d] < out[d])
        break;
      for (size_t k = 0; k < K; ++k)
        offs[k] -= strides[k][d] * out[d];
      idx[d] = 0;
    }
  }
}

// Geometry of a windowed op (Conv, ConvTranspose, pooling and their
// gradients), padded to 3 spatial axes: missing leading axes have extent 1,
// kernel 1, stride 1, dilation 1 and no padding. Output position o of axis i
// reads input positions o * s[i] - pb[i] + k * d[i] for taps k < k[i].
struct Window3 {
  int64_t in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];
};
// From the node's strides, dilations and pads (defaults where the op has no
// such attribute or it is empty) and the concrete shapes (NN.cpp).
Expected<Window3> window3(const Node &n, const Shape &in, const Shape &out,
                          const std::vector<int64_t> &kernel);

// Kernel taps [lo, hi) whose input position base + k*d lies in [0, in).
inline void tapRange(int64_t base, int64_t d, int64_t k, int64_t in,
                     int64_t &lo, int64_t &hi) {
  lo = base >= 0 ? 0 : (-base + d - 1) / d;
  hi = in - base > 0 ? std::min(k, (in - base + d - 1) / d) : 0;
  if (hi < lo)
    hi = lo;
}

// The divisor of an AveragePool window starting at `base` with real taps
// [lo, hi) per axis: the real elements, or with count_include_pad the
// positions inside the padded input (PyTorch: not the overhang a ceil_mode
// window has past the end padding).
int64_t avgPoolCount(const Window3 &w, const int64_t base[3],
                     const int64_t lo[3], const int64_t hi[3], bool countPad);

// Batch statistics of channel c of an [N, C, inner] tensor (BatchNorm and its
// gradient): the mean and the sum of squared deviations from it.
void channelMoments(const std::vector<double> &x, int64_t N, int64_t C,
                    int64_t inner, int64_t c, double &mean, double &sqDev);

// Unsigned-storage type of a dtype's width, for kernels that only move bytes.
template <size_t Bytes> struct RawOf;
template <> struct RawOf<1> { using type = uint8_t; };
template <> struct RawOf<2> { using type = uint16_t; };
template <> struct RawOf<4> { using type = uint32_t; };
template <> struct RawOf<8> { using type = uint64_t; };

// Calls f(RawTag) with the raw storage type matching the width of `t`.
template <typename F> auto withRaw(DType t, F f) {
  switch (dlrt::dtypeSize(t)) {
  case 1: return f(uint8_t{});
  case 2: return f(uint16_t{});
  case 4: return f(uint32_t{});
  default: return f(uint64_t{});
  }
}

// Wrapping integer arithmetic (signed overflow is undefined in C++).
inline int64_t wrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t wrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t wrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

} // namespace dlc::ref
