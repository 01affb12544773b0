// Reference kernels for the element-wise families: unary math, binary
// arithmetic and logic with numpy broadcasting, comparisons, where, cast.
//
// Float math runs in double and rounds once on store; for + - * / and sqrt
// that is bit-identical to computing in the narrower type. Integer math runs
// in int64 with wrap-around and is narrowed modulo the dtype's width, so it is
// exact (no int64 through double).
#include "runtime/reference/Kernels.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

namespace dlc::ref {

namespace {

// Integer Clip bounds: the float attributes rounded inward and saturated, so
// clamping happens exactly in int64.
int64_t clipBound(double v, bool lower) {
  if (std::isnan(v))
    return lower ? std::numeric_limits<int64_t>::min()
                 : std::numeric_limits<int64_t>::max();
  v = lower ? std::ceil(v) : std::floor(v);
  if (v <= -9.2233720368547758e18)
    return std::numeric_limits<int64_t>::min();
  if (v >= 9.2233720368547758e18)
    return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(v);
}

double unaryFloat(OpKind op, const Node &n, double x) {
  switch (op) {
  case OpKind::Abs: return std::fabs(x);
  case OpKind::Ceil: return std::ceil(x);
  case OpKind::Clip: {
    // NaN stays NaN (as in PyTorch's clamp).
    double lo = n.getFloat("min"), hi = n.getFloat("max");
    if (x < lo)
      x = lo;
    if (x > hi)
      x = hi;
    return x;
  }
  case OpKind::Cos: return std::cos(x);
  case OpKind::Elu: return x > 0 ? x : n.getFloat("alpha") * std::expm1(x);
  case OpKind::Erf: return std::erf(x);
  case OpKind::Exp: return std::exp(x);
  case OpKind::Floor: return std::floor(x);
  case OpKind::LeakyRelu: return x >= 0 ? x : n.getFloat("alpha") * x;
  case OpKind::Log: return std::log(x);
  case OpKind::Neg: return -x;
  case OpKind::Reciprocal: return 1.0 / x;
  case OpKind::Relu: return x > 0 ? x : (std::isnan(x) ? x : 0.0);
  case OpKind::Round: return std::nearbyint(x); // half to even (ONNX)
  case OpKind::Sigmoid:
    // Both branches avoid exp overflow.
    return x >= 0 ? 1.0 / (1.0 + std::exp(-x))
                  : std::exp(x) / (1.0 + std::exp(x));
  case OpKind::Sign: return std::isnan(x) ? x : (x > 0) - (x < 0);
  case OpKind::Sin: return std::sin(x);
  case OpKind::Softplus: {
    // (1/beta) log(1 + exp(beta x)), written to neither overflow nor lose
    // the small tail.
    double beta = n.getFloat("beta"), bx = beta * x;
    return (std::max(bx, 0.0) + std::log1p(std::exp(-std::fabs(bx)))) / beta;
  }
  case OpKind::Sqrt: return std::sqrt(x);
  case OpKind::Tanh: return std::tanh(x);
  default: return x;
  }
}

} // namespace

Status runUnary(KernelArgs &a) {
  const Node &n = a.node;
  const Tensor &x = a.in(0);
  Tensor &y = a.outs[0];
  if (dlrt::isFloat(x.dtype())) {
    std::vector<double> v = load<double>(x);
    for (double &e : v)
      e = unaryFloat(n.op, n, e);
    store(v, y);
    return Status::ok();
  }
  std::vector<int64_t> v = load<int64_t>(x);
  bool isBool = x.dtype() == DType::Bool;
  if (isBool && n.op != OpKind::Not)
    return Error("does not take a bool input");
  switch (n.op) {
  case OpKind::Not:
    for (int64_t &e : v)
      e = !e;
    break;
  case OpKind::Abs:
    for (int64_t &e : v)
      e = e < 0 ? wrapSub(0, e) : e;
    break;
  case OpKind::Neg:
    for (int64_t &e : v)
      e = wrapSub(0, e);
    break;
  case OpKind::Sign:
    for (int64_t &e : v)
      e = (e > 0) - (e < 0);
    break;
  case OpKind::Relu:
    for (int64_t &e : v)
      e = e > 0 ? e : 0;
    break;
  case OpKind::Clip: {
    int64_t lo = clipBound(n.getFloat("min"), true),
            hi = clipBound(n.getFloat("max"), false);
    for (int64_t &e : v)
      e = e < lo ? lo : (e > hi ? hi : e);
    break;
  }
  default:
    return Error("expects a floating-point input");
  }
  store(v, y);
  return Status::ok();
}

namespace {

double binaryFloat(OpKind op, const Node &n, double x, double y) {
  switch (op) {
  case OpKind::Add: return x + y;
  case OpKind::Sub: return x - y;
  case OpKind::Mul: return x * y;
  case OpKind::Div: return x / y;
  case OpKind::Pow: return std::pow(x, y);
  // NaN propagates, as in numpy.maximum and torch.maximum.
  case OpKind::Max: return std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y);
  case OpKind::Min: return std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y);
  case OpKind::Mod: {
    double r = std::fmod(x, y);
    // fmod=0: the sign of the divisor, as Python's % and torch.remainder.
    if (!n.getInt("fmod") && r != 0 && ((r < 0) != (y < 0)))
      r += y;
    return r;
  }
  default: return 0;
  }
}

// Exact integer power with wrap-around; negative exponents truncate toward
// zero like the real result would (only +-1 survive).
Expected<int64_t> intPow(int64_t base, int64_t e) {
  if (e < 0) {
    if (base == 0)
      return Error("integer zero raised to a negative power");
    if (base == 1)
      return int64_t(1);
    if (base == -1)
      return int64_t(e % 2 ? -1 : 1);
    return int64_t(0);
  }
  int64_t r = 1;
  while (e) {
    if (e & 1)
      r = wrapMul(r, base);
    base = wrapMul(base, base);
    e >>= 1;
  }
  return r;
}

Expected<int64_t> binaryInt(OpKind op, const Node &n, int64_t x, int64_t y) {
  switch (op) {
  case OpKind::Add: return wrapAdd(x, y);
  case OpKind::Sub: return wrapSub(x, y);
  case OpKind::Mul: return wrapMul(x, y);
  case OpKind::Max: return std::max(x, y);
  case OpKind::Min: return std::min(x, y);
  case OpKind::And: return int64_t(x && y);
  case OpKind::Or: return int64_t(x || y);
  case OpKind::Xor: return int64_t((x != 0) != (y != 0));
  case OpKind::Pow: return intPow(x, y);
  case OpKind::Div:
  case OpKind::Mod: {
    if (y == 0)
      return Error("integer division by zero");
    // INT64_MIN / -1 traps on x86; its wrapped quotient is INT64_MIN.
    if (y == -1)
      return op == OpKind::Div ? wrapSub(0, x) : int64_t(0);
    if (op == OpKind::Div)
      return x / y; // truncates toward zero, as ONNX Div
    int64_t r = x % y;
    if (!n.getInt("fmod") && r != 0 && ((r < 0) != (y < 0)))
      r += y;
    return r;
  }
  default: return int64_t(0);
  }
}

} // namespace

Status runBinary(KernelArgs &a) {
  const Node &n = a.node;
  const Tensor &x = a.in(0), &y = a.in(1);
  Tensor &out = a.outs[0];
  std::vector<Shape> strides{broadcastStrides(x.shape(), out.shape()),
                             broadcastStrides(y.shape(), out.shape())};
  if (dlrt::isFloat(x.dtype())) {
    std::vector<double> vx = load<double>(x), vy = load<double>(y),
                        r(out.numel());
    forEachIndex<2>(out.shape(), strides, [&](int64_t o, const int64_t *off) {
      r[o] = binaryFloat(n.op, n, vx[off[0]], vy[off[1]]);
    });
    store(r, out);
    return Status::ok();
  }
  std::vector<int64_t> vx = load<int64_t>(x), vy = load<int64_t>(y),
                       r(out.numel());
  std::optional<Error> err;
  forEachIndex<2>(out.shape(), strides, [&](int64_t o, const int64_t *off) {
    if (err)
      return;
    auto v = binaryInt(n.op, n, vx[off[0]], vy[off[1]]);
    if (!v)
      err = v.takeError();
    else
      r[o] = *v;
  });
  if (err)
    return *err;
  // u8 arithmetic must wrap in 8 bits; storing narrows modulo the width.
  store(r, out);
  return Status::ok();
}

Status runCompare(KernelArgs &a) {
  const Node &n = a.node;
  const Tensor &x = a.in(0), &y = a.in(1);
  Tensor &out = a.outs[0];
  std::vector<Shape> strides{broadcastStrides(x.shape(), out.shape()),
                             broadcastStrides(y.shape(), out.shape())};
  uint8_t *r = out.data<uint8_t>();
  auto compare = [&](auto vx, auto vy) {
    forEachIndex<2>(out.shape(), strides, [&](int64_t o, const int64_t *off) {
      auto p = vx[off[0]], q = vy[off[1]];
      bool b = false;
      switch (n.op) {
      case OpKind::Equal: b = p == q; break;
      case OpKind::Greater: b = p > q; break;
      case OpKind::GreaterOrEqual: b = p >= q; break;
      case OpKind::Less: b = p < q; break;
      case OpKind::LessOrEqual: b = p <= q; break;
      default: break;
      }
      r[o] = b;
    });
  };
  if (dlrt::isFloat(x.dtype()))
    compare(load<double>(x), load<double>(y));
  else
    compare(load<int64_t>(x), load<int64_t>(y));
  return Status::ok();
}

Status runWhere(KernelArgs &a) {
  const Tensor &c = a.in(0), &x = a.in(1), &y = a.in(2);
  Tensor &out = a.outs[0];
  std::vector<Shape> strides{broadcastStrides(c.shape(), out.shape()),
                             broadcastStrides(x.shape(), out.shape()),
                             broadcastStrides(y.shape(), out.shape())};
  const uint8_t *pc = c.data<uint8_t>();
  // Pure selection: move the elements' bytes.
  withRaw(out.dtype(), [&](auto tag) {
    using R = decltype(tag);
    const R *px = x.data<R>(), *py = y.data<R>();
    R *po = out.data<R>();
    forEachIndex<3>(out.shape(), strides, [&](int64_t o, const int64_t *off) {
      po[o] = pc[off[0]] ? px[off[1]] : py[off[2]];
    });
    return 0;
  });
  return Status::ok();
}

namespace {

// Float to integer: truncate toward zero, saturate at the int64 range (NaN
// gives 0), then wrap to the target width like numpy and PyTorch do for
// in-range values (-1.0 -> u8 255). C++ leaves out-of-range casts undefined.
int64_t floatToInt(double v) {
  if (std::isnan(v))
    return 0;
  if (v <= -9.2233720368547758e18)
    return std::numeric_limits<int64_t>::min();
  if (v >= 9.2233720368547758e18)
    return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(v);
}

} // namespace

Status runCast(KernelArgs &a) {
  const Tensor &x = a.in(0);
  Tensor &out = a.outs[0];
  DType from = x.dtype(), to = out.dtype();
  int64_t n = x.numel();
  if (from == to) {
    if (n)
      std::memcpy(out.raw(), x.raw(), x.byteSize());
    return Status::ok();
  }
  if (!dlrt::isFloat(from)) {
    std::vector<int64_t> v = load<int64_t>(x);
    switch (to) {
    case DType::F32: // one rounding from int64, not through double
      for (int64_t i = 0; i < n; ++i)
        out.data<float>()[i] = static_cast<float>(v[i]);
      break;
    case DType::F64:
      for (int64_t i = 0; i < n; ++i)
        out.data<double>()[i] = static_cast<double>(v[i]);
      break;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i)
        out.data<uint16_t>()[i] = dlrt::floatToHalf(static_cast<float>(v[i]));
      break;
    default: store(v, out); break;
    }
    return Status::ok();
  }
  std::vector<double> v = load<double>(x);
  if (dlrt::isFloat(to)) {
    store(v, out);
  } else if (to == DType::Bool) {
    for (int64_t i = 0; i < n; ++i)
      out.data<uint8_t>()[i] = v[i] != 0; // NaN is true, as in numpy
  } else {
    std::vector<int64_t> r(n);
    for (int64_t i = 0; i < n; ++i)
      r[i] = floatToInt(v[i]);
    store(r, out);
  }
  return Status::ok();
}

} // namespace dlc::ref
