// Helpers shared by the family lowerings (ops/*.cpp): working types, reads
// with numpy broadcasting, index clamping, placing intermediate reductions,
// and the window geometry of pooling and convolution (one spatial axis at a
// time, as in the reference interpreter's Window3: output position o of an
// axis reads input positions o * s - pb + k * d for taps k < K).
#pragma once

#include "codegen/Lower.h"

#include <algorithm>

namespace dlc::codegen {

// The type arithmetic runs in: f16 computes in f32, every other type in itself.
inline Halide::Type workType(Halide::Type t) {
  return t.is_float() && t.bits() == 16 ? Halide::Float(32) : t;
}
inline Halide::Expr widen(Halide::Expr e) {
  return e.type() == workType(e.type()) ? e : Halide::cast(workType(e.type()), e);
}

// x broadcast to an output of rank out.rank(): output axis i reads x's axis
// i - (out.rank() - x.rank()), and size-1 axes of x read index 0.
inline Halide::Expr broadcastRead(const HTensor &x, const std::vector<Halide::Var> &vars,
                                  const HTensor &out) {
  size_t lead = out.rank() - x.rank();
  std::vector<Halide::Expr> idx;
  for (size_t a = 0; a < x.rank(); ++a) {
    const int64_t *one = Halide::Internal::as_const_int(x.extents[a]);
    idx.push_back(one && *one == 1 && !Halide::Internal::is_const(out.extents[a + lead], 1)
                      ? Halide::Expr(0)
                      : Halide::Expr(vars[a + lead]));
  }
  return x(idx);
}

// Float comparisons that must order NaN: Halide compiles float math with
// LLVM's no-NaN fast-math flags, under which a comparison or select with a NaN
// operand may go either way (is_nan of a loaded value stays exact). So max,
// min and arg-extremes compare integer keys instead: the float's bits mapped
// to a signed integer of the same width, monotonic in the float's value,
// -0.0 equal to +0.0, and NaN the highest (or lowest) key. Integers are their
// own keys.
inline Halide::Expr orderedKey(Halide::Expr v, bool nanHigh) {
  if (!v.type().is_float())
    return Halide::cast(Halide::Int(64), v);
  Halide::Type it = Halide::Int(v.type().bits());
  Halide::Expr b = Halide::reinterpret(it, v);
  Halide::Expr k = Halide::select(b >= 0, b, b ^ it.max());
  k = Halide::select(k == -1, Halide::cast(it, 0), k); // -0.0 is +0.0
  return Halide::select(Halide::is_nan(v), nanHigh ? it.max() : it.min(), k);
}
// The value of a key, of type t; NaN keys give a NaN.
inline Halide::Expr fromOrderedKey(Halide::Expr k, Halide::Type t) {
  if (!t.is_float())
    return Halide::cast(t, k);
  return Halide::reinterpret(t, Halide::select(k >= 0, k, k ^ k.type().max()));
}

// An axis attribute in [-rank, rank) as a non-negative axis (shape inference
// has checked the range).
inline size_t normAxis(int64_t axis, size_t rank) {
  return static_cast<size_t>(axis < 0 ? axis + static_cast<int64_t>(rank) : axis);
}

// i clamped into [0, extent): a no-op where i is known to be in range, and
// what lets bounds inference see that a computed index stays in the buffer.
inline Halide::Expr clampIndex(Halide::Expr i, Halide::Expr extent) {
  return Halide::clamp(i, 0, extent - 1);
}

// An intermediate Func with update definitions that many output elements
// share (per-row or per-channel statistics, scatter targets): computed once,
// before the kernel's output. Left unscheduled it would be recomputed inside
// the innermost loop of every consumer.
inline void computeOnce(Halide::Func f) { f.compute_root(); }

// One spatial axis of a windowed op. Spatial extents are static (shape
// inference requires it).
struct WindowAxis {
  int64_t in, out, k, s, d, pb, pe;
  // Input position of tap k of the window at output position o.
  Halide::Expr pos(Halide::Expr o, Halide::Expr tap) const {
    return o * int(s) - int(pb) + tap * int(d);
  }
  // The number of taps of the window at o that lie inside the input (the
  // closed form of the reference's tapRange).
  Halide::Expr realTaps(Halide::Expr o) const {
    Halide::Expr base = o * int(s) - int(pb);
    Halide::Expr lo = Halide::select(base >= 0, 0, (-base + int(d) - 1) / int(d));
    Halide::Expr hi = Halide::select(int(in) - base > 0,
                                     Halide::min(int(k), (int(in) - base + int(d) - 1) / int(d)), 0);
    return Halide::max(hi - lo, 0);
  }
  // With count_include_pad: the positions of the window inside the padded
  // input, not the overhang a ceil_mode window has past the end padding.
  Halide::Expr paddedTaps(Halide::Expr o) const {
    Halide::Expr base = o * int(s) - int(pb);
    return Halide::min(base + int((k - 1) * d + 1), int(in + pe)) - base;
  }
};

// The spatial axes (2, 3, ...) of a windowed node with input dims `in`, output
// dims `out` and window `kernel`; strides, dilations and pads default to 1, 1
// and 0 where the op has no such attribute or it is empty.
inline std::vector<WindowAxis> windowAxes(const Node &n, const Dims &in, const Dims &out,
                                          const std::vector<int64_t> &kernel) {
  size_t r = in.size() - 2;
  auto ints = [&](const char *name, size_t len, int64_t dflt) {
    std::vector<int64_t> v;
    if (findAttrSpec(n.op, name))
      v = n.getInts(name);
    if (v.empty())
      v.assign(len, dflt);
    return v;
  };
  std::vector<int64_t> s = ints("strides", r, 1), d = ints("dilations", r, 1),
                       p = ints("pads", 2 * r, 0);
  std::vector<WindowAxis> w;
  for (size_t i = 0; i < r; ++i)
    w.push_back({in[2 + i].value, out[2 + i].value, kernel[i], s[i], d[i], p[i], p[r + i]});
  return w;
}

} // namespace dlc::codegen
