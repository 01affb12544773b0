// The ONNX op table: how each supported ONNX op (opsets 7-17) maps onto the
// core op set. Composite ops decompose (Gemm, PRelu, HardSwish, Mean, ...);
// per-opset differences (attributes that became inputs, Softmax's 2-D
// coercion before opset 13, BatchNormalization's training forms) are resolved
// here. Shape-computing chains (Shape, Gather, Concat, Unsqueeze, Slice, Cast,
// small arithmetic) fold at import time through Known values, so reshape
// targets become attributes; Shape of a tensor with a batch N folds to a
// vector holding the symbol N.
#include "frontend/onnx/OnnxInternal.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

namespace dlc {
namespace onnximport {
namespace {

using Attrs = std::map<std::string, Attr>;
using dlrt::numElements;

// Import-time folding makes tensors no larger than this.
constexpr int64_t kMaxFoldElements = int64_t(1) << 24;
// Spatial attributes (kernel, stride, dilation, pads) beyond this are
// nonsense; refusing them keeps the size arithmetic from overflowing.
constexpr int64_t kMaxWindowValue = int64_t(1) << 31;

//===----------------------------------------------------------------------===//
// Tensor helpers for folding
//===----------------------------------------------------------------------===//

int64_t safeToInt(double d) {
  if (std::isnan(d))
    return 0;
  if (d >= 9.2e18)
    return std::numeric_limits<int64_t>::max();
  if (d <= -9.2e18)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

int64_t readInt(const Tensor &t, int64_t i) {
  switch (t.dtype()) {
  case DType::I64: return t.data<int64_t>()[i];
  case DType::I32: return t.data<int32_t>()[i];
  case DType::I8: return t.data<int8_t>()[i];
  case DType::U8: return t.data<uint8_t>()[i];
  case DType::Bool: return t.data<uint8_t>()[i] != 0;
  default: return safeToInt(t.getDouble(i));
  }
}

void writeInt(Tensor &t, int64_t i, int64_t v) {
  switch (t.dtype()) {
  case DType::I64: t.data<int64_t>()[i] = v; break;
  case DType::I32: t.data<int32_t>()[i] = static_cast<int32_t>(v); break;
  case DType::I8: t.data<int8_t>()[i] = static_cast<int8_t>(v); break;
  case DType::U8: t.data<uint8_t>()[i] = static_cast<uint8_t>(v); break;
  case DType::Bool: t.data<uint8_t>()[i] = v != 0; break;
  default: t.setDouble(i, static_cast<double>(v));
  }
}

void writeDouble(Tensor &t, int64_t i, double v) {
  if (!dlrt::isFloat(t.dtype())) {
    writeInt(t, i, t.dtype() == DType::Bool ? (v != 0) : safeToInt(v));
    return;
  }
  // float(1e300) is undefined behaviour; saturate to infinity instead.
  if (t.dtype() != DType::F64 && std::isfinite(v) && std::fabs(v) > FLT_MAX)
    v = v > 0 ? INFINITY : -INFINITY;
  t.setDouble(i, v);
}

// The value of a float element as its shortest decimal (6.0f -> 6, 0.1f ->
// 0.1), for attributes made from constant inputs.
double attrValue(const Tensor &t, int64_t i) {
  if (t.dtype() == DType::F32)
    return floatToShortestDouble(t.data<float>()[i]);
  if (t.dtype() == DType::F16)
    return floatToShortestDouble(dlrt::halfToFloat(t.data<uint16_t>()[i]));
  if (!dlrt::isFloat(t.dtype()))
    return static_cast<double>(readInt(t, i));
  return t.getDouble(i);
}

Expected<int64_t> checkedNumel(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return Error("negative dim in " + dlrt::shapeString(shape));
    if (d != 0 && n > kMaxFoldElements / d)
      return Error("tensor " + dlrt::shapeString(shape) +
                   " is too large to compute at import time");
    n *= d;
  }
  if (n > kMaxFoldElements)
    return Error("tensor " + dlrt::shapeString(shape) +
                 " is too large to compute at import time");
  return n;
}

Tensor castTensor(const Tensor &src, DType to) {
  Tensor t(to, src.shape());
  for (int64_t i = 0; i < src.numel(); ++i) {
    if (dlrt::isFloat(src.dtype()))
      writeDouble(t, i, src.getDouble(i));
    else
      writeInt(t, i, readInt(src, i));
  }
  return t;
}

std::optional<std::vector<int64_t>>
broadcastShapes(const std::vector<std::vector<int64_t>> &shapes) {
  size_t r = 0;
  for (auto &s : shapes)
    r = std::max(r, s.size());
  std::vector<int64_t> out(r, 1);
  for (auto &s : shapes)
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t &o = out[r - s.size() + i];
      int64_t d = s[i];
      if (d == o || d == 1)
        continue;
      if (o != 1)
        return std::nullopt;
      o = d;
    }
  return out;
}

// Calls fn(outIndex, offsets) for every output element, where offsets[k] is
// the element of input k that broadcasts to it.
template <typename Fn>
void forEachBroadcast(const std::vector<int64_t> &out,
                      const std::vector<std::vector<int64_t>> &ins, Fn fn) {
  size_t r = out.size();
  std::vector<std::vector<int64_t>> strides;
  for (auto &s : ins) {
    std::vector<int64_t> st(r, 0);
    int64_t acc = 1;
    for (size_t i = s.size(); i-- > 0;) {
      if (s[i] != 1)
        st[r - s.size() + i] = acc;
      acc *= s[i];
    }
    strides.push_back(st);
  }
  int64_t n = numElements(out);
  std::vector<int64_t> idx(r, 0), off(ins.size(), 0);
  for (int64_t e = 0; e < n; ++e) {
    fn(e, off);
    for (size_t i = r; i-- > 0;) {
      ++idx[i];
      for (size_t k = 0; k < ins.size(); ++k)
        off[k] += strides[k][i];
      if (idx[i] < out[i])
        break;
      for (size_t k = 0; k < ins.size(); ++k)
        off[k] -= strides[k][i] * idx[i];
      idx[i] = 0;
    }
  }
}

bool isCompare(const std::string &op) {
  return op == "Equal" || op == "Less" || op == "Greater" ||
         op == "LessOrEqual" || op == "GreaterOrEqual";
}

// Integer arithmetic that wraps instead of overflowing (as int64 would in
// the runtime), and refuses what has no value (division by zero).
std::optional<int64_t> intOp(const std::string &op, int64_t a, int64_t b) {
  uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  if (op == "Add") return static_cast<int64_t>(ua + ub);
  if (op == "Sub") return static_cast<int64_t>(ua - ub);
  if (op == "Mul") return static_cast<int64_t>(ua * ub);
  if (op == "Div") {
    if (b == 0 || (a == std::numeric_limits<int64_t>::min() && b == -1))
      return std::nullopt;
    return a / b;
  }
  if (op == "Max") return std::max(a, b);
  if (op == "Min") return std::min(a, b);
  if (op == "Equal") return a == b;
  if (op == "Less") return a < b;
  if (op == "Greater") return a > b;
  if (op == "LessOrEqual") return a <= b;
  if (op == "GreaterOrEqual") return a >= b;
  if (op == "And") return (a != 0) && (b != 0);
  if (op == "Or") return (a != 0) || (b != 0);
  if (op == "Xor") return (a != 0) != (b != 0);
  return std::nullopt;
}

std::optional<double> floatOp(const std::string &op, double a, double b) {
  if (op == "Add") return a + b;
  if (op == "Sub") return a - b;
  if (op == "Mul") return a * b;
  if (op == "Div") return a / b;
  if (op == "Max") return std::max(a, b);
  if (op == "Min") return std::min(a, b);
  if (op == "Equal") return a == b;
  if (op == "Less") return a < b;
  if (op == "Greater") return a > b;
  if (op == "LessOrEqual") return a <= b;
  if (op == "GreaterOrEqual") return a >= b;
  return std::nullopt;
}

std::optional<Tensor> foldBinary(const std::string &op, const Tensor &a,
                                 const Tensor &b) {
  if (a.dtype() != b.dtype())
    return std::nullopt;
  auto shape = broadcastShapes({a.shape(), b.shape()});
  if (!shape || !checkedNumel(*shape))
    return std::nullopt;
  Tensor out(isCompare(op) ? DType::Bool : a.dtype(), *shape);
  bool fp = dlrt::isFloat(a.dtype()), ok = true;
  forEachBroadcast(*shape, {a.shape(), b.shape()},
                   [&](int64_t e, const std::vector<int64_t> &off) {
                     if (!ok)
                       return;
                     if (fp) {
                       auto r = floatOp(op, a.getDouble(off[0]),
                                        b.getDouble(off[1]));
                       ok = r.has_value();
                       if (ok)
                         writeDouble(out, e, *r);
                     } else {
                       auto r = intOp(op, readInt(a, off[0]),
                                      readInt(b, off[1]));
                       ok = r.has_value();
                       if (ok)
                         writeInt(out, e, *r);
                     }
                   });
  if (!ok)
    return std::nullopt;
  return out;
}

// Arithmetic on shape vectors that hold symbols: exact where both elements
// are static, the symbol where the other side is an identity (N * 1, N + 0).
std::optional<Known> foldDimsBinary(const std::string &op, const Known &ka,
                                    const Known &kb) {
  auto a = knownDims(ka), b = knownDims(kb);
  if (!a || !b || ka.dtype != kb.dtype)
    return std::nullopt;
  size_t n = std::max(a->size(), b->size());
  if ((a->size() != n && a->size() != 1) || (b->size() != n && b->size() != 1))
    return std::nullopt;
  Dims out;
  for (size_t i = 0; i < n; ++i) {
    const Dim &x = (*a)[a->size() == 1 ? 0 : i];
    const Dim &y = (*b)[b->size() == 1 ? 0 : i];
    if (x.isStatic() && y.isStatic()) {
      auto r = intOp(op, x.value, y.value);
      if (!r || isCompare(op))
        return std::nullopt;
      out.push_back(Dim(*r));
    } else if (!x.isStatic() && y.isStatic() &&
               (((op == "Mul" || op == "Div") && y.value == 1) ||
                ((op == "Add" || op == "Sub") && y.value == 0))) {
      out.push_back(x);
    } else if (x.isStatic() && !y.isStatic() &&
               ((op == "Mul" && x.value == 1) || (op == "Add" && x.value == 0))) {
      out.push_back(y);
    } else {
      return std::nullopt;
    }
  }
  return knownFromDims(out, ka.scalar && kb.scalar, ka.dtype);
}

// Row-major strides in elements.
std::vector<int64_t> stridesOf(const std::vector<int64_t> &shape) {
  std::vector<int64_t> st(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    st[i - 1] = st[i] * shape[i];
  return st;
}

//===----------------------------------------------------------------------===//
// Small helpers for handlers
//===----------------------------------------------------------------------===//

Attr ints(std::vector<int64_t> v) { return Attr::ofInts(std::move(v)); }

// Sets `name` unless every value is the trivial one (the IR's default).
void putInts(Attrs &a, const char *name, const std::vector<int64_t> &v,
             int64_t trivial) {
  if (std::any_of(v.begin(), v.end(), [&](int64_t x) { return x != trivial; }))
    a[name] = ints(v);
}

Expected<int64_t> normAxis(OpCtx &c, int64_t axis, size_t rank) {
  int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= std::max<int64_t>(r, 1))
    return c.error("axis " + std::to_string(axis) +
                   " is out of range for rank " + std::to_string(r));
  return axis < 0 ? axis + r : axis;
}

// Shape vectors may be i32 as well as i64.
bool isIndexType(DType t) { return t == DType::I64 || t == DType::I32; }

// The reshape of a known value: a tensor with a new static shape, or a shape
// vector going between rank 0 and rank 1.
std::optional<Known> reshapeKnown(const Known &k,
                                  const std::vector<int64_t> &shape) {
  if (k.tensor) {
    if (numElements(shape) != k.tensor->numel())
      return std::nullopt;
    return knownFromTensor(k.tensor->reshaped(shape));
  }
  if (shape.size() > 1 || !k.dims)
    return std::nullopt;
  if (numElements(shape) != static_cast<int64_t>(k.dims->size()))
    return std::nullopt;
  return knownFromDims(*k.dims, shape.empty(), k.dtype);
}

std::optional<std::vector<int64_t>> staticDims(const Dims &d) {
  std::vector<int64_t> s;
  for (const Dim &x : d) {
    if (!x.isStatic())
      return std::nullopt;
    s.push_back(x.value);
  }
  return s;
}

// Emits Reshape(x) to `target` (dims of the output, possibly symbolic), or
// folds it when x is known at import time.
Status reshapeTo(OpCtx &c, const Dims &target) {
  const Known *k = c.known(0);
  if (k && c.allKnown()) {
    if (auto s = staticDims(target))
      if (auto r = reshapeKnown(*k, *s)) {
        c.setKnown(0, std::move(*r));
        return Status::ok();
      }
  }
  DLC_TRY(x, c.in(0));
  if (x->type.dims == target) {
    c.alias(0, 0);
    return Status::ok();
  }
  DLC_TRY(y, c.emitOut(OpKind::Reshape, {x}, {{"shape", Attr::ofDims(target)}}));
  (void)y;
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Element-wise ops
//===----------------------------------------------------------------------===//

// Neg, Abs and Not of import-time constants fold (shape arithmetic such as
// Neg(axes) in expanded LayerNormalization).
std::optional<Tensor> foldUnary(OpKind k, const Tensor &t) {
  if (k != OpKind::Neg && k != OpKind::Abs && k != OpKind::Not)
    return std::nullopt;
  if ((k == OpKind::Not) != (t.dtype() == DType::Bool))
    return std::nullopt;
  Tensor out(t.dtype(), t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (k == OpKind::Not) {
      writeInt(out, i, !readInt(t, i));
    } else if (dlrt::isFloat(t.dtype())) {
      double v = t.getDouble(i);
      writeDouble(out, i, k == OpKind::Neg ? -v : std::fabs(v));
    } else {
      uint64_t v = static_cast<uint64_t>(readInt(t, i));
      bool negate = k == OpKind::Neg || static_cast<int64_t>(v) < 0;
      writeInt(out, i, static_cast<int64_t>(negate ? 0 - v : v));
    }
  }
  return out;
}

template <OpKind K> Status unaryOp(OpCtx &c) {
  DLC_CHECK(c.require(0));
  if (c.allKnown() && c.known(0)->tensor)
    if (auto t = foldUnary(K, *c.known(0)->tensor)) {
      c.setKnown(0, knownFromTensor(std::move(*t)));
      return Status::ok();
    }
  DLC_TRY(x, c.in(0));
  DLC_TRY(y, c.emitOut(K, {x}, {}));
  (void)y;
  return Status::ok();
}

Status identityOp(OpCtx &c) {
  DLC_CHECK(c.require(0));
  c.alias(0, 0);
  return Status::ok();
}

OpKind binaryKind(const std::string &op) {
  static const std::map<std::string, OpKind> m = {
      {"Add", OpKind::Add},
      {"And", OpKind::And},
      {"Div", OpKind::Div},
      {"Equal", OpKind::Equal},
      {"Greater", OpKind::Greater},
      {"GreaterOrEqual", OpKind::GreaterOrEqual},
      {"Less", OpKind::Less},
      {"LessOrEqual", OpKind::LessOrEqual},
      {"Max", OpKind::Max},
      {"Min", OpKind::Min},
      {"Mul", OpKind::Mul},
      {"Or", OpKind::Or},
      {"Pow", OpKind::Pow},
      {"Sub", OpKind::Sub},
      {"Sum", OpKind::Add},
      {"Mean", OpKind::Add},
      {"Xor", OpKind::Xor}};
  return m.at(op);
}

// Folds a binary op on import-time values, if it can.
std::optional<Known> foldBinaryKnown(const std::string &op, const Known &a,
                                     const Known &b) {
  if (a.tensor && b.tensor)
    if (auto t = foldBinary(op, *a.tensor, *b.tensor))
      return knownFromTensor(std::move(*t));
  if ((a.dims || b.dims) && !isCompare(op))
    return foldDimsBinary(op, a, b);
  return std::nullopt;
}

Status binaryOp(OpCtx &c) {
  DLC_CHECK(c.require(0));
  DLC_CHECK(c.require(1));
  const std::string &op = c.opType();
  if (c.allKnown() && op != "Pow")
    if (auto k = foldBinaryKnown(op, *c.known(0), *c.known(1))) {
      c.setKnown(0, std::move(*k));
      return Status::ok();
    }
  DLC_TRY(a, c.in(0));
  // Pow's exponent may have another dtype (x ** 2 with an i64 2): a
  // constant exponent is converted here, others through a Cast.
  const Known *kb = c.known(1);
  Value *rhs = nullptr;
  if (op == "Pow" && c.type(1).dtype != a->type.dtype && kb && kb->tensor &&
      !(kb->fromParam && dlrt::isFloat(kb->tensor->dtype()))) {
    rhs = c.tensorConst(castTensor(*kb->tensor, a->type.dtype), "exponent");
  } else {
    DLC_TRY(b, c.in(1));
    rhs = b;
    if (op == "Pow" && b->type.dtype != a->type.dtype) {
      DLC_TRY(cast, c.emitTmp(OpKind::Cast, {b},
                              {{"to", Attr::ofString(std::string(
                                          dlrt::dtypeName(a->type.dtype)))}},
                              "exponent"));
      rhs = cast;
    }
  }
  DLC_TRY(y, c.emitOut(binaryKind(op), {a, rhs}, {}));
  (void)y;
  return Status::ok();
}

Status modOp(OpCtx &c) {
  DLC_TRY(fmod, c.attrInt("fmod", 0));
  DLC_TRY(a, c.in(0));
  DLC_TRY(b, c.in(1));
  Attrs at;
  if (fmod)
    at["fmod"] = Attr::ofInt(1);
  DLC_TRY(y, c.emitOut(OpKind::Mod, {a, b}, at));
  (void)y;
  return Status::ok();
}

// Sum, Max, Min, Mean: a left-to-right chain of binary ops.
Status variadicOp(OpCtx &c) {
  const std::string &op = c.opType();
  size_t n = c.numInputs();
  if (n == 0)
    return c.error("expects at least one input");
  for (size_t i = 0; i < n; ++i)
    DLC_CHECK(c.require(i));
  if (n == 1 && op != "Mean") {
    c.alias(0, 0);
    return Status::ok();
  }
  OpKind k = binaryKind(op);
  DLC_TRY(first, c.in(0));
  Value *acc = first;
  for (size_t i = 1; i < n; ++i) {
    DLC_TRY(x, c.in(i));
    bool last = i + 1 == n && op != "Mean";
    if (last) {
      DLC_TRY(y, c.emitOut(k, {acc, x}, {}));
      acc = y;
    } else {
      DLC_TRY(y, c.emitTmp(k, {acc, x}, {}, "acc" + std::to_string(i)));
      acc = y;
    }
  }
  if (op == "Mean") {
    Value *cnt = c.scalarConst(acc->type.dtype, static_cast<double>(n), "count");
    DLC_TRY(y, c.emitOut(OpKind::Div, {acc, cnt}, {}));
    (void)y;
  }
  return Status::ok();
}

Status notOp(OpCtx &c) { return unaryOp<OpKind::Not>(c); }

// A one-input activation whose only attribute is `alpha` (ONNX's default).
Status alphaActivation(OpCtx &c, OpKind op, double defaultAlpha) {
  DLC_TRY(alpha, c.attrFloat("alpha", defaultAlpha));
  DLC_TRY(x, c.in(0));
  DLC_TRY(y, c.emitOut(op, {x}, {{"alpha", Attr::ofFloat(alpha)}}));
  (void)y;
  return Status::ok();
}

Status leakyReluOp(OpCtx &c) { return alphaActivation(c, OpKind::LeakyRelu, 0.01); }
Status eluOp(OpCtx &c) { return alphaActivation(c, OpKind::Elu, 1.0); }

// selu(x) = gamma * elu(x, alpha)
Status seluOp(OpCtx &c) {
  DLC_TRY(alpha, c.attrFloat("alpha", floatToShortestDouble(1.67326319f)));
  DLC_TRY(gamma, c.attrFloat("gamma", floatToShortestDouble(1.05070102f)));
  DLC_TRY(x, c.in(0));
  DLC_TRY(e, c.emitTmp(OpKind::Elu, {x}, {{"alpha", Attr::ofFloat(alpha)}}, "elu"));
  Value *g = c.scalarConst(x->type.dtype, gamma, "gamma");
  DLC_TRY(y, c.emitOut(OpKind::Mul, {e, g}, {}));
  (void)y;
  return Status::ok();
}

// prelu(x) = relu(x) + slope * min(x, 0), slope broadcasting to x (numpy,
// unidirectional, as ONNX opset 7+ says).
Status preluOp(OpCtx &c) {
  DLC_TRY(x, c.in(0));
  DLC_TRY(slope, c.in(1));
  DLC_TRY(pos, c.emitTmp(OpKind::Relu, {x}, {}, "pos"));
  Value *zero = c.scalarConst(x->type.dtype, 0.0, "zero");
  DLC_TRY(neg, c.emitTmp(OpKind::Min, {x, zero}, {}, "neg"));
  DLC_TRY(scaled, c.emitTmp(OpKind::Mul, {neg, slope}, {}, "scaled"));
  DLC_TRY(y, c.emitOut(OpKind::Add, {pos, scaled}, {}));
  if (y->type.dims != x->type.dims)
    return c.error("slope " + slope->type.str() +
                   " does not broadcast to the input " + x->type.str());
  return Status::ok();
}

// hard_sigmoid(x) = clip(alpha * x + beta, 0, 1)
Expected<Value *> hardSigmoid(OpCtx &c, Value *x, double alpha, double beta,
                              bool isOutput) {
  DType t = x->type.dtype;
  DLC_TRY(ax, c.emitTmp(OpKind::Mul, {x, c.scalarConst(t, alpha, "alpha")}, {},
                        "scaled"));
  DLC_TRY(axb, c.emitTmp(OpKind::Add, {ax, c.scalarConst(t, beta, "beta")}, {},
                         "shifted"));
  Attrs clip{{"min", Attr::ofFloat(0.0)}, {"max", Attr::ofFloat(1.0)}};
  if (isOutput)
    return c.emitOut(OpKind::Clip, {axb}, clip);
  return c.emitTmp(OpKind::Clip, {axb}, clip, "hsig");
}

Status hardSigmoidOp(OpCtx &c) {
  DLC_TRY(alpha, c.attrFloat("alpha", 0.2));
  DLC_TRY(beta, c.attrFloat("beta", 0.5));
  DLC_TRY(x, c.in(0));
  DLC_TRY(y, hardSigmoid(c, x, alpha, beta, true));
  (void)y;
  return Status::ok();
}

// hard_swish(x) = x * hard_sigmoid(x; 1/6, 0.5)
Status hardSwishOp(OpCtx &c) {
  DLC_TRY(x, c.in(0));
  DLC_TRY(h, hardSigmoid(c, x, 1.0 / 6.0, 0.5, false));
  DLC_TRY(y, c.emitOut(OpKind::Mul, {x, h}, {}));
  (void)y;
  return Status::ok();
}

// softsign(x) = x / (1 + |x|)
Status softsignOp(OpCtx &c) {
  DLC_TRY(x, c.in(0));
  DLC_TRY(a, c.emitTmp(OpKind::Abs, {x}, {}, "abs"));
  DLC_TRY(d, c.emitTmp(OpKind::Add,
                       {a, c.scalarConst(x->type.dtype, 1.0, "one")}, {}, "den"));
  DLC_TRY(y, c.emitOut(OpKind::Div, {x, d}, {}));
  (void)y;
  return Status::ok();
}

Status clipOp(OpCtx &c) {
  double lo = -INFINITY, hi = INFINITY;
  if (c.opset() < 11) {
    DLC_TRY(mn, c.attrFloat("min", -INFINITY));
    DLC_TRY(mx, c.attrFloat("max", INFINITY));
    lo = mn, hi = mx;
  } else {
    // Bounds known only at run time: clip(x) = min(max(x, lo), hi).
    bool runtimeBounds = (c.has(1) && !c.known(1)) || (c.has(2) && !c.known(2));
    if (runtimeBounds) {
      DLC_TRY(y, c.in(0));
      for (size_t i = 1; i <= 2; ++i) {
        if (!c.has(i))
          continue;
        DLC_TRY(bound, c.in(i));
        if (bound->type.rank() != 0)
          return c.error(std::string(i == 1 ? "min" : "max") + " must be a scalar");
        OpKind op = i == 1 ? OpKind::Max : OpKind::Min;
        bool last = i == 2 || !c.has(2);
        auto v = last ? c.emitOut(op, {y, bound}, {})
                      : c.emitTmp(op, {y, bound}, {}, "lower");
        if (!v)
          return v.takeError();
        y = *v;
      }
      return Status::ok();
    }
    if (c.has(1)) {
      DLC_TRY(t, c.constTensor(1, "min"));
      if (t.numel() != 1)
        return c.error("min must be a scalar");
      lo = attrValue(t, 0);
    }
    if (c.has(2)) {
      DLC_TRY(t, c.constTensor(2, "max"));
      if (t.numel() != 1)
        return c.error("max must be a scalar");
      hi = attrValue(t, 0);
    }
  }
  DLC_TRY(x, c.in(0));
  Attrs a;
  if (lo != -INFINITY)
    a["min"] = Attr::ofFloat(lo);
  if (hi != INFINITY)
    a["max"] = Attr::ofFloat(hi);
  DLC_TRY(y, c.emitOut(OpKind::Clip, {x}, a));
  (void)y;
  return Status::ok();
}

Status castOp(OpCtx &c) {
  DLC_TRY(to, c.attrInt("to", 0));
  if (!c.hasAttr("to"))
    return c.error("attribute 'to' is required");
  auto dt = dtypeFromOnnx(static_cast<int32_t>(to));
  if (!dt)
    return c.error("cannot cast to " + dt.error().message());
  DLC_CHECK(c.require(0));
  if (c.allKnown()) {
    const Known &k = *c.known(0);
    if (k.tensor) {
      c.setKnown(0, knownFromTensor(castTensor(*k.tensor, *dt)));
      return Status::ok();
    }
    if (k.dims && isIndexType(*dt)) {
      c.setKnown(0, knownFromDims(*k.dims, k.scalar, *dt));
      return Status::ok();
    }
  }
  DLC_TRY(x, c.in(0));
  if (x->type.dtype == *dt) {
    c.alias(0, 0);
    return Status::ok();
  }
  DLC_TRY(y, c.emitOut(OpKind::Cast, {x},
                       {{"to", Attr::ofString(std::string(dlrt::dtypeName(*dt)))}}));
  (void)y;
  return Status::ok();
}

Status whereOp(OpCtx &c) {
  for (size_t i = 0; i < 3; ++i)
    DLC_CHECK(c.require(i));
  if (c.allKnown() && c.known(0)->tensor && c.known(1)->tensor &&
      c.known(2)->tensor) {
    const Tensor &cond = *c.known(0)->tensor, &a = *c.known(1)->tensor,
                 &b = *c.known(2)->tensor;
    auto shape = broadcastShapes({cond.shape(), a.shape(), b.shape()});
    if (shape && a.dtype() == b.dtype() && cond.dtype() == DType::Bool &&
        checkedNumel(*shape)) {
      Tensor out(a.dtype(), *shape);
      size_t es = dlrt::dtypeSize(a.dtype());
      forEachBroadcast(*shape, {cond.shape(), a.shape(), b.shape()},
                       [&](int64_t e, const std::vector<int64_t> &off) {
                         bool pick = cond.data<uint8_t>()[off[0]] != 0;
                         const std::byte *src =
                             pick ? a.data<std::byte>() + off[1] * es
                                  : b.data<std::byte>() + off[2] * es;
                         std::memcpy(out.data<std::byte>() + e * es, src, es);
                       });
      c.setKnown(0, knownFromTensor(std::move(out)));
      return Status::ok();
    }
  }
  DLC_TRY(cond, c.in(0));
  DLC_TRY(a, c.in(1));
  DLC_TRY(b, c.in(2));
  DLC_TRY(y, c.emitOut(OpKind::Where, {cond, a, b}, {}));
  (void)y;
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Linear algebra and layers
//===----------------------------------------------------------------------===//

Status matMulOp(OpCtx &c) {
  DLC_TRY(a, c.in(0));
  DLC_TRY(b, c.in(1));
  DLC_TRY(y, c.emitOut(OpKind::MatMul, {a, b}, {}));
  (void)y;
  return Status::ok();
}

// gemm = alpha * op(A) op(B) + beta * C
Status gemmOp(OpCtx &c) {
  DLC_TRY(alpha, c.attrFloat("alpha", 1.0));
  DLC_TRY(beta, c.attrFloat("beta", 1.0));
  DLC_TRY(transA, c.attrInt("transA", 0));
  DLC_TRY(transB, c.attrInt("transB", 0));
  DLC_TRY(a, c.in(0));
  DLC_TRY(b, c.in(1));
  if (a->type.rank() != 2 || b->type.rank() != 2)
    return c.error("A and B must be 2-D, got " + a->type.str() + " and " +
                   b->type.str());
  Attrs mm;
  if (transA)
    mm["transA"] = Attr::ofInt(1);
  if (transB)
    mm["transB"] = Attr::ofInt(1);
  DType t = a->type.dtype;
  bool addC = c.has(2) && beta != 0.0;
  bool scale = alpha != 1.0;
  Value *acc;
  if (!addC && !scale) {
    DLC_TRY(y, c.emitOut(OpKind::MatMul, {a, b}, mm));
    (void)y;
    return Status::ok();
  }
  DLC_TRY(p, c.emitTmp(OpKind::MatMul, {a, b}, mm, "matmul"));
  acc = p;
  if (scale) {
    Value *al = c.scalarConst(t, alpha, "alpha");
    if (!addC) {
      DLC_TRY(y, c.emitOut(OpKind::Mul, {acc, al}, {}));
      (void)y;
      return Status::ok();
    }
    DLC_TRY(s, c.emitTmp(OpKind::Mul, {acc, al}, {}, "scaled"));
    acc = s;
  }
  DLC_TRY(cv, c.in(2));
  Value *bias = cv;
  if (beta != 1.0) {
    DLC_TRY(s, c.emitTmp(OpKind::Mul, {cv, c.scalarConst(t, beta, "beta")}, {},
                         "bias"));
    bias = s;
  }
  DLC_TRY(y, c.emitOut(OpKind::Add, {acc, bias}, {}));
  if (y->type.dims != acc->type.dims)
    return c.error("C " + cv->type.str() + " does not broadcast to " +
                   acc->type.str());
  return Status::ok();
}

// Strides, dilations and pads of a windowed op, validated.
struct Window {
  std::vector<int64_t> kernel, strides, dilations, pads;
  std::string autoPad;
};

Expected<Window> readWindow(OpCtx &c, size_t rank,
                            std::vector<int64_t> kernel) {
  Window w;
  w.kernel = std::move(kernel);
  auto get = [&](const char *name, size_t len,
                 int64_t dflt) -> Expected<std::vector<int64_t>> {
    DLC_TRY(v, c.attrInts(name));
    if (v.empty())
      return std::vector<int64_t>(len, dflt);
    if (v.size() != len)
      return c.error(std::string(name) + " has " + std::to_string(v.size()) +
                     " values, expected " + std::to_string(len));
    return v;
  };
  if (w.kernel.size() != rank)
    return c.error("kernel_shape has " + std::to_string(w.kernel.size()) +
                   " values, expected " + std::to_string(rank));
  DLC_TRY(s, get("strides", rank, 1));
  DLC_TRY(d, get("dilations", rank, 1));
  DLC_TRY(p, get("pads", 2 * rank, 0));
  DLC_TRY(ap, c.attrString("auto_pad", "NOTSET"));
  w.strides = s, w.dilations = d, w.pads = p, w.autoPad = ap;
  for (size_t i = 0; i < rank; ++i) {
    if (w.kernel[i] <= 0 || w.kernel[i] > kMaxWindowValue)
      return c.error("kernel_shape must be positive");
    if (w.strides[i] <= 0 || w.dilations[i] <= 0 ||
        w.strides[i] > kMaxWindowValue || w.dilations[i] > kMaxWindowValue)
      return c.error("strides and dilations must be positive");
  }
  for (int64_t x : w.pads)
    if (x < 0 || x > kMaxWindowValue)
      return c.error("pads must be non-negative");
  if (w.autoPad != "NOTSET" && w.autoPad != "VALID" &&
      w.autoPad != "SAME_UPPER" && w.autoPad != "SAME_LOWER" &&
      !w.autoPad.empty())
    return c.error("unknown auto_pad '" + w.autoPad + "'");
  return w;
}

// auto_pad for Conv and pooling: SAME makes out = ceil(in / stride).
Status resolveAutoPad(OpCtx &c, Window &w, const Dims &x) {
  size_t rank = w.kernel.size();
  if (w.autoPad == "VALID") {
    w.pads.assign(2 * rank, 0);
  } else if (w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER") {
    for (size_t i = 0; i < rank; ++i) {
      const Dim &d = x[i + 2];
      if (!d.isStatic())
        return c.error("auto_pad " + w.autoPad + " needs static spatial dims");
      int64_t in = d.value, s = w.strides[i];
      int64_t out = (in + s - 1) / s;
      int64_t span = (w.kernel[i] - 1) * w.dilations[i] + 1;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + span - in);
      int64_t small = total / 2, big = total - small;
      w.pads[i] = w.autoPad == "SAME_UPPER" ? small : big;
      w.pads[i + rank] = w.autoPad == "SAME_UPPER" ? big : small;
    }
  }
  return Status::ok();
}

Status checkSpatialDims(OpCtx &c, const TensorType &t) {
  for (const Dim &d : t.dims)
    if (d.isStatic() && d.value > (int64_t(1) << 40))
      return c.error("dim " + d.str() + " is too large");
  return Status::ok();
}

Expected<std::vector<int64_t>> convKernel(OpCtx &c, const TensorType &xt,
                                          const TensorType &wt) {
  if (xt.rank() < 3 || wt.rank() != xt.rank())
    return c.error("expects an input of rank >= 3 and a weight of the same "
                   "rank, got " + xt.str() + " and " + wt.str());
  if (!wt.isStatic())
    return c.error("weight shape must be static, got " + wt.str());
  DLC_CHECK(checkSpatialDims(c, xt));
  std::vector<int64_t> ws = wt.staticShape();
  std::vector<int64_t> kernel(ws.begin() + 2, ws.end());
  DLC_TRY(ks, c.attrInts("kernel_shape"));
  if (!ks.empty() && ks != kernel)
    return c.error("kernel_shape " + dlrt::shapeString(ks) +
                   " does not match the weight " + wt.str());
  return kernel;
}

// Emits Conv or ConvTranspose(x, w[, b]) with the window's attributes
// (defaults left out) plus `extra`.
Status emitConvLike(OpCtx &c, OpKind op, Value *x, Value *w, const Window &win,
                    int64_t group, Attrs a) {
  putInts(a, "strides", win.strides, 1);
  putInts(a, "dilations", win.dilations, 1);
  putInts(a, "pads", win.pads, 0);
  if (group != 1)
    a["group"] = Attr::ofInt(group);
  std::vector<Value *> ins{x, w};
  if (c.has(2)) {
    DLC_TRY(b, c.in(2));
    ins.push_back(b);
  }
  DLC_TRY(y, c.emitOut(op, ins, a));
  (void)y;
  return Status::ok();
}

Status convOp(OpCtx &c) {
  DLC_TRY(x, c.in(0));
  DLC_TRY(w, c.in(1));
  DLC_TRY(kernel, convKernel(c, x->type, w->type));
  DLC_TRY(win, readWindow(c, x->type.rank() - 2, kernel));
  DLC_CHECK(resolveAutoPad(c, win, x->type.dims));
  DLC_TRY(group, c.attrInt("group", 1));
  return emitConvLike(c, OpKind::Conv, x, w, win, group, {});
}

Status convTransposeOp(OpCtx &c) {
  DLC_TRY(x, c.in(0));
  DLC_TRY(w, c.in(1));
  DLC_TRY(kernel, convKernel(c, x->type, w->type));
  size_t rank = x->type.rank() - 2;
  DLC_TRY(win, readWindow(c, rank, kernel));
  DLC_TRY(group, c.attrInt("group", 1));
  DLC_TRY(outPad, c.attrInts("output_padding"));
  DLC_TRY(outShape, c.attrInts("output_shape"));
  if (outPad.empty())
    outPad.assign(rank, 0);
  if (outPad.size() != rank)
    return c.error("output_padding must have one value per spatial axis");
  for (int64_t p : outPad)
    if (p < 0 || p > kMaxWindowValue)
      return c.error("output_padding must be non-negative");
  // output_shape may list all dims or only the spatial ones.
  if (outShape.size() == rank + 2)
    outShape.erase(outShape.begin(), outShape.begin() + 2);
  bool same = win.autoPad == "SAME_UPPER" || win.autoPad == "SAME_LOWER";
  if (win.autoPad == "VALID")
    win.pads.assign(2 * rank, 0);
  if (!outShape.empty() || same) {
    if (!outShape.empty() && outShape.size() != rank)
      return c.error("output_shape must have one value per spatial axis");
    for (size_t i = 0; i < rank; ++i) {
      const Dim &d = x->type.dims[i + 2];
      if (!d.isStatic())
        return c.error("output_shape and auto_pad need static spatial dims");
      int64_t want = outShape.empty() ? d.value * win.strides[i] : outShape[i];
      if (want <= 0 || want > (int64_t(1) << 40))
        return c.error("output_shape must be positive");
      int64_t full = win.strides[i] * (d.value - 1) + outPad[i] +
                     (win.kernel[i] - 1) * win.dilations[i] + 1;
      int64_t total = full - want;
      if (total < 0) { // the output grows past the last window: pad the end
        outPad[i] -= total;
        total = 0;
      }
      int64_t small = total / 2, big = total - small;
      bool upper = win.autoPad == "SAME_UPPER";
      win.pads[i] = upper ? small : big;
      win.pads[i + rank] = upper ? big : small;
    }
  }
  Attrs a;
  putInts(a, "output_padding", outPad, 0);
  return emitConvLike(c, OpKind::ConvTranspose, x, w, win, group, std::move(a));
}

Status poolOp(OpCtx &c) {
  bool isMax = c.opType() == "MaxPool";
  if (isMax && c.hasOutput(1))
    return c.error("the Indices output is not supported");
  DLC_TRY(x, c.in(0));
  if (x->type.rank() < 3)
    return c.error("expects an input of rank >= 3, got " + x->type.str());
  DLC_CHECK(checkSpatialDims(c, x->type));
  DLC_TRY(kernel, c.attrInts("kernel_shape"));
  if (!c.hasAttr("kernel_shape"))
    return c.error("attribute 'kernel_shape' is required");
  DLC_TRY(win, readWindow(c, x->type.rank() - 2, kernel));
  DLC_CHECK(resolveAutoPad(c, win, x->type.dims));
  DLC_TRY(ceilMode, c.attrInt("ceil_mode", 0));
  Attrs a{{"kernel_shape", ints(win.kernel)}};
  putInts(a, "strides", win.strides, 1);
  putInts(a, "pads", win.pads, 0);
  if (ceilMode)
    a["ceil_mode"] = Attr::ofInt(1);
  if (isMax) {
    putInts(a, "dilations", win.dilations, 1);
  } else {
    if (std::any_of(win.dilations.begin(), win.dilations.end(),
                    [](int64_t d) { return d != 1; }))
      return c.error("dilations are not supported for AveragePool");
    DLC_TRY(cip, c.attrInt("count_include_pad", 0));
    if (cip)
      a["count_include_pad"] = Attr::ofInt(1);
  }
  DLC_TRY(y, c.emitOut(isMax ? OpKind::MaxPool : OpKind::AveragePool, {x}, a));
  (void)y;
  return Status::ok();
}

Status globalPoolOp(OpCtx &c) {
  DLC_TRY(x, c.in(0));
  if (x->type.rank() < 3)
    return c.error("expects an input of rank >= 3, got " + x->type.str());
  std::vector<int64_t> axes;
  for (size_t i = 2; i < x->type.rank(); ++i)
    axes.push_back(static_cast<int64_t>(i));
  OpKind k = c.opType() == "GlobalMaxPool" ? OpKind::ReduceMax
                                            : OpKind::ReduceMean;
  DLC_TRY(y, c.emitOut(k, {x}, {{"axes", ints(axes)}}));
  (void)y;
  return Status::ok();
}

Status batchNormOp(OpCtx &c) {
  DLC_TRY(eps, c.attrFloat("epsilon", 1e-5));
  DLC_TRY(mo, c.attrFloat("momentum", 0.9));
  if (c.opset() < 9) {
    DLC_TRY(spatial, c.attrInt("spatial", 1));
    if (!spatial)
      return c.error("spatial=0 is not supported");
  }
  bool training;
  if (c.opset() >= 14) {
    DLC_TRY(tm, c.attrInt("training_mode", 0));
    training = tm != 0;
  } else {
    training = false;
    for (size_t i = 1; i < c.numOutputs(); ++i)
      training |= c.hasOutput(i);
  }
  std::vector<Value *> ins;
  for (size_t i = 0; i < 5; ++i) {
    DLC_TRY(v, c.in(i));
    ins.push_back(v);
  }
  Attrs a;
  if (eps != 1e-5)
    a["epsilon"] = Attr::ofFloat(eps);
  // ONNX: running = mo * running + (1 - mo) * batch; the IR (PyTorch)
  // weighs the batch by its momentum, so m = 1 - mo.
  double m = roundDecimal(1.0 - mo);
  if (m != 0.1)
    a["momentum"] = Attr::ofFloat(m);
  if (!training) {
    DLC_TRY(y, c.emitOut(OpKind::BatchNorm, ins, a));
    (void)y;
    for (size_t i = 1; i < c.numOutputs(); ++i)
      c.setUnavailable(i, "exists only in training mode");
    return Status::ok();
  }
  a["training"] = Attr::ofInt(1);
  // ONNX updates the running variance with the biased batch variance.
  a["unbiased"] = Attr::ofInt(0);
  std::vector<std::string> names;
  for (size_t i = 0; i < 3; ++i)
    names.push_back(c.hasOutput(i) ? c.outName(i) : "");
  DLC_TRY(n, c.emitMulti(OpKind::BatchNorm, ins, a, names));
  for (size_t i = 0; i < 3; ++i)
    c.setValue(i, n->outputs[i]);
  for (size_t i = 3; i < c.numOutputs(); ++i)
    c.setUnavailable(i, "(saved mean / saved variance) is not supported");
  return Status::ok();
}

Status dropoutOp(OpCtx &c) {
  double ratio = 0.5;
  bool training = false;
  if (c.opset() < 12) {
    DLC_TRY(r, c.attrFloat("ratio", 0.5));
    ratio = r;
  } else {
    if (c.has(2)) {
      DLC_TRY(t, c.constTensor(2, "training_mode"));
      if (t.numel() != 1)
        return c.error("training_mode must be a scalar");
      training = readInt(t, 0) != 0;
    }
    // Outside training the ratio does not matter, so it may be a run-time value.
    if (c.has(1) && (training || c.known(1))) {
      DLC_TRY(t, c.constTensor(1, "ratio"));
      if (t.numel() != 1)
        return c.error("ratio must be a scalar");
      ratio = attrValue(t, 0);
    }
  }
  DLC_TRY(seed, c.attrInt("seed", 0));
  DLC_TRY(x, c.in(0));
  Attrs a;
  if (ratio != 0.5)
    a["ratio"] = Attr::ofFloat(ratio);
  if (training)
    a["training"] = Attr::ofInt(1);
  if (seed)
    a["seed"] = Attr::ofInt(seed);
  if (!c.hasOutput(1)) {
    DLC_TRY(y, c.emitOut(OpKind::Dropout, {x}, a));
    (void)y;
    return Status::ok();
  }
  DLC_TRY(n, c.emitMulti(OpKind::Dropout, {x}, a,
                         {c.hasOutput(0) ? c.outName(0) : "", c.outName(1)}));
  c.setValue(0, n->outputs[0]);
  c.setValue(1, n->outputs[1]);
  return Status::ok();
}

// Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at
// `axis` ([prod(d[:axis]), prod(d[axis:])]) and normalized over the second
// axis; that is a Reshape, a softmax over the last axis, and a Reshape back.
Status softmaxOp(OpCtx &c) {
  OpKind k = c.opType() == "Softmax" ? OpKind::Softmax : OpKind::LogSoftmax;
  bool legacy = c.opset() < 13;
  DLC_TRY(axisAttr, c.attrInt("axis", legacy ? 1 : -1));
  DLC_TRY(x, c.in(0));
  size_t rank = x->type.rank();
  DLC_TRY(axis, normAxis(c, axisAttr, rank));
  if (!legacy || axis + 1 == static_cast<int64_t>(rank) || rank == 0) {
    Attrs a;
    if (axis + 1 != static_cast<int64_t>(rank))
      a["axis"] = Attr::ofInt(axis);
    DLC_TRY(y, c.emitOut(k, {x}, a));
    (void)y;
    return Status::ok();
  }
  const Dims &d = x->type.dims;
  DimProduct inner = dimProduct(d, static_cast<size_t>(axis));
  DimProduct outer = dimProduct(d, 0, static_cast<size_t>(axis));
  Dims flat;
  if (inner.syms.empty())
    flat = {Dim(-1), Dim(inner.factor)};
  else if (outer.syms.empty())
    flat = {Dim(outer.factor), Dim(-1)};
  else
    return c.error("cannot coerce " + x->type.str() + " to 2-D at axis " +
                   std::to_string(axis) + ": both sides are symbolic");
  DLC_TRY(f, c.emitTmp(OpKind::Reshape, {x}, {{"shape", Attr::ofDims(flat)}},
                       "flat"));
  DLC_TRY(s, c.emitTmp(k, {f}, {}, "norm"));
  DLC_TRY(y, c.emitOut(OpKind::Reshape, {s}, {{"shape", Attr::ofDims(d)}}));
  (void)y;
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

// Reduce ops; the ones that are not core ops compose: ReduceL1 = sum|x|,
// ReduceL2 = sqrt(sum x^2), ReduceSumSquare = sum x^2, ReduceLogSum =
// log(sum x), ReduceLogSumExp = log(sum exp(x)).
Status reduceOp(OpCtx &c) {
  const std::string &op = c.opType();
  DLC_TRY(keep, c.attrInt("keepdims", 1));
  DLC_TRY(noop, c.attrInt("noop_with_empty_axes", 0));
  std::vector<int64_t> axes;
  if (op == "ReduceSum" && c.opset() >= 13) {
    if (c.has(1)) {
      DLC_TRY(v, c.constInts(1, "axes"));
      axes = v;
    }
  } else {
    DLC_TRY(v, c.attrInts("axes"));
    axes = v;
  }
  DLC_TRY(x, c.in(0));
  if (axes.empty() && noop) {
    c.alias(0, 0);
    return Status::ok();
  }
  Attrs a;
  if (!axes.empty())
    a["axes"] = ints(axes);
  if (!keep)
    a["keepdims"] = Attr::ofInt(0);
  static const std::map<std::string, OpKind> core = {
      {"ReduceMax", OpKind::ReduceMax},
      {"ReduceMean", OpKind::ReduceMean},
      {"ReduceMin", OpKind::ReduceMin},
      {"ReduceProd", OpKind::ReduceProd},
      {"ReduceSum", OpKind::ReduceSum}};
  if (auto it = core.find(op); it != core.end()) {
    DLC_TRY(y, c.emitOut(it->second, {x}, a));
    (void)y;
    return Status::ok();
  }
  Value *in = x;
  if (op == "ReduceL1") {
    DLC_TRY(t, c.emitTmp(OpKind::Abs, {x}, {}, "abs"));
    in = t;
  } else if (op == "ReduceL2" || op == "ReduceSumSquare") {
    DLC_TRY(t, c.emitTmp(OpKind::Mul, {x, x}, {}, "sq"));
    in = t;
  } else if (op == "ReduceLogSumExp") {
    DLC_TRY(t, c.emitTmp(OpKind::Exp, {x}, {}, "exp"));
    in = t;
  }
  bool post = op == "ReduceL2" || op == "ReduceLogSum" ||
              op == "ReduceLogSumExp";
  if (!post) {
    DLC_TRY(y, c.emitOut(OpKind::ReduceSum, {in}, a));
    (void)y;
    return Status::ok();
  }
  DLC_TRY(s, c.emitTmp(OpKind::ReduceSum, {in}, a, "sum"));
  DLC_TRY(y, c.emitOut(op == "ReduceL2" ? OpKind::Sqrt : OpKind::Log, {s}, {}));
  (void)y;
  return Status::ok();
}

Status argReduceOp(OpCtx &c) {
  DLC_TRY(axis, c.attrInt("axis", 0));
  DLC_TRY(keep, c.attrInt("keepdims", 1));
  DLC_TRY(last, c.attrInt("select_last_index", 0));
  DLC_TRY(x, c.in(0));
  Attrs a;
  if (axis)
    a["axis"] = Attr::ofInt(axis);
  if (!keep)
    a["keepdims"] = Attr::ofInt(0);
  if (last)
    a["select_last_index"] = Attr::ofInt(1);
  OpKind k = c.opType() == "ArgMax" ? OpKind::ArgMax : OpKind::ArgMin;
  DLC_TRY(y, c.emitOut(k, {x}, a));
  (void)y;
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Shapes and data movement
//===----------------------------------------------------------------------===//

Status constantOp(OpCtx &c) {
  std::optional<Tensor> t;
  int forms = 0;
  for (const auto &a : c.node().attribute()) {
    const std::string &n = a.name();
    if (n == "value") {
      DLC_TRY(tp, c.attrTensor("value"));
      auto v = tensorFromProto(*tp, "");
      if (!v)
        return c.error("value " + v.error().message());
      t = *v;
    } else if (n == "value_float") {
      DLC_TRY(f, c.attrFloat("value_float", 0));
      t = Tensor::scalar(DType::F32, f);
    } else if (n == "value_floats") {
      DLC_TRY(fs, c.attrFloats("value_floats"));
      t = Tensor::fromVector(DType::F32, {static_cast<int64_t>(fs.size())}, fs);
    } else if (n == "value_int") {
      DLC_TRY(i, c.attrInt("value_int", 0));
      Tensor s(DType::I64, {});
      s.data<int64_t>()[0] = i;
      t = s;
    } else if (n == "value_ints") {
      DLC_TRY(is, c.attrInts("value_ints"));
      Tensor s(DType::I64, {static_cast<int64_t>(is.size())});
      std::copy(is.begin(), is.end(), s.data<int64_t>());
      t = s;
    } else if (n == "sparse_value" || n == "value_string" ||
               n == "value_strings") {
      return c.error("attribute '" + n + "' is not supported");
    } else {
      continue;
    }
    ++forms;
  }
  if (forms != 1)
    return c.error("expects exactly one value attribute, got " +
                   std::to_string(forms));
  c.setKnown(0, knownFromTensor(std::move(*t)));
  return Status::ok();
}

Status constantOfShapeOp(OpCtx &c) {
  DLC_TRY(shape, c.constInts(0, "shape"));
  DLC_TRY(n, [&]() -> Expected<int64_t> {
    auto r = checkedNumel(shape);
    if (!r)
      return c.error(r.error().message());
    return *r;
  }());
  (void)n;
  DLC_TRY(tp, c.attrTensor("value"));
  Tensor fill = Tensor::scalar(DType::F32, 0.0);
  if (tp) {
    auto v = tensorFromProto(*tp, "");
    if (!v)
      return c.error("value " + v.error().message());
    if (v->numel() != 1)
      return c.error("value must have one element");
    fill = *v;
  }
  Tensor out(fill.dtype(), shape);
  size_t es = dlrt::dtypeSize(fill.dtype());
  for (int64_t i = 0; i < out.numel(); ++i)
    std::memcpy(out.data<std::byte>() + i * es, fill.raw(), es);
  c.setKnown(0, knownFromTensor(std::move(out)));
  return Status::ok();
}

Status rangeOp(OpCtx &c) {
  DLC_TRY(start, c.constTensor(0, "start"));
  DLC_TRY(limit, c.constTensor(1, "limit"));
  DLC_TRY(delta, c.constTensor(2, "delta"));
  if (start.numel() != 1 || limit.numel() != 1 || delta.numel() != 1 ||
      start.dtype() != limit.dtype() || start.dtype() != delta.dtype())
    return c.error("start, limit and delta must be scalars of one dtype");
  DType t = start.dtype();
  int64_t n;
  if (dlrt::isFloat(t)) {
    double s = start.getDouble(0), l = limit.getDouble(0), d = delta.getDouble(0);
    double cnt = std::ceil((l - s) / d);
    if (d == 0 || std::isnan(cnt))
      return c.error("delta must be non-zero");
    n = cnt <= 0 ? 0 : cnt > kMaxFoldElements ? kMaxFoldElements + 1
                                              : static_cast<int64_t>(cnt);
  } else {
    int64_t s = readInt(start, 0), l = readInt(limit, 0), d = readInt(delta, 0);
    if (d == 0)
      return c.error("delta must be non-zero");
    // In doubles: l - s may overflow int64.
    double cnt = std::ceil((static_cast<double>(l) - static_cast<double>(s)) /
                           static_cast<double>(d));
    n = cnt <= 0 ? 0 : cnt > kMaxFoldElements ? kMaxFoldElements + 1
                                              : static_cast<int64_t>(cnt);
  }
  if (n > kMaxFoldElements)
    return c.error("the range is too large to compute at import time");
  Tensor out(t, {n});
  for (int64_t i = 0; i < n; ++i) {
    if (dlrt::isFloat(t))
      writeDouble(out, i, start.getDouble(0) + i * delta.getDouble(0));
    else
      writeInt(out, i,
               static_cast<int64_t>(static_cast<uint64_t>(readInt(start, 0)) +
                                    static_cast<uint64_t>(i) *
                                        static_cast<uint64_t>(readInt(delta, 0))));
  }
  c.setKnown(0, knownFromTensor(std::move(out)));
  return Status::ok();
}

Status shapeOp(OpCtx &c) {
  DLC_CHECK(c.require(0));
  Dims d = c.type(0).dims;
  int64_t r = static_cast<int64_t>(d.size());
  DLC_TRY(start, c.attrInt("start", 0));
  DLC_TRY(end, c.attrInt("end", r));
  auto clampAxis = [&](int64_t a) {
    a = a < 0 ? (a < -r ? 0 : a + r) : a;
    return std::min(a, r);
  };
  int64_t s = clampAxis(start), e = clampAxis(end);
  Dims out;
  for (int64_t i = s; i < e; ++i)
    out.push_back(d[i]);
  c.setKnown(0, knownFromDims(out, false));
  return Status::ok();
}

Status sizeOp(OpCtx &c) {
  DLC_CHECK(c.require(0));
  DimProduct p = dimProduct(c.type(0).dims);
  if (p.syms.empty()) {
    c.setKnown(0, knownFromDims({Dim(p.factor)}, true));
  } else if (p.syms.size() == 1 && p.factor == 1) {
    c.setKnown(0, knownFromDims({Dim(p.syms[0])}, true));
  } else {
    c.setUnavailable(0, "is the size of " + c.type(0).str() +
                            ", which depends on symbolic dims");
  }
  return Status::ok();
}

Status reshapeOp(OpCtx &c) {
  DLC_TRY(shape, c.constDims(1, "shape"));
  DLC_TRY(allowZero, c.attrInt("allowzero", 0));
  DLC_CHECK(c.require(0));
  const TensorType &xt = c.type(0);
  // Keep the product of the static dims from overflowing shape inference.
  int64_t prod = 1;
  for (const Dim &d : shape)
    if (d.isStatic() && d.value > 0 &&
        __builtin_mul_overflow(prod, d.value, &prod))
      return c.error("shape " + dimsString(shape) + " is too large");
  if (allowZero)
    for (const Dim &d : shape)
      if (d.isStatic() && d.value == 0)
        return c.error("allowzero=1 with a 0 in the shape is not supported");
  // Resolve 0 and -1 here when the input is static (needed for folding);
  // otherwise the IR's Reshape resolves them against the symbolic input.
  Dims target = shape;
  for (size_t i = 0; i < target.size(); ++i)
    if (target[i] == Dim(0) && i < xt.rank())
      target[i] = xt.dims[i];
  if (xt.isStatic()) {
    int64_t inferAt = -1, known = 1;
    for (size_t i = 0; i < target.size(); ++i) {
      if (!target[i].isStatic())
        return c.error("shape " + dimsString(shape) +
                       " has symbolic dims but the input is static");
      if (target[i].value == -1 && inferAt < 0)
        inferAt = static_cast<int64_t>(i);
      else if (target[i].value < 0)
        return c.error("shape " + dimsString(shape) + " is invalid");
      else
        known *= target[i].value;
    }
    int64_t total = dimProduct(xt.dims).factor;
    if (inferAt >= 0) {
      if (known == 0 || total % known)
        return c.error("cannot reshape " + xt.str() + " to " +
                       dimsString(shape));
      target[inferAt] = Dim(total / known);
    }
  }
  return reshapeTo(c, target);
}

Status flattenOp(OpCtx &c) {
  DLC_TRY(axisAttr, c.attrInt("axis", 1));
  DLC_CHECK(c.require(0));
  const TensorType &xt = c.type(0);
  int64_t r = static_cast<int64_t>(xt.rank());
  if (axisAttr < -r || axisAttr > r)
    return c.error("axis " + std::to_string(axisAttr) +
                   " is out of range for rank " + std::to_string(r));
  size_t axis = static_cast<size_t>(axisAttr < 0 ? axisAttr + r : axisAttr);
  auto side = [&](size_t b, size_t e) -> Dim {
    DimProduct p = dimProduct(xt.dims, b, e);
    if (p.syms.empty())
      return Dim(p.factor);
    if (p.syms.size() == 1 && p.factor == 1)
      return Dim(p.syms[0]);
    return Dim(-1);
  };
  Dims target{side(0, axis), side(axis, xt.rank())};
  if (target[0] == Dim(-1) && target[1] == Dim(-1))
    return c.error("cannot flatten " + xt.str() + " at axis " +
                   std::to_string(axis) + ": both sides are symbolic");
  return reshapeTo(c, target);
}

Expected<std::vector<int64_t>> axesInput(OpCtx &c, const char *attr) {
  if (c.opset() >= 13) {
    if (!c.has(1))
      return std::vector<int64_t>{};
    return c.constInts(1, "axes");
  }
  return c.attrInts(attr);
}

Status unsqueezeOp(OpCtx &c) {
  DLC_TRY(axes, axesInput(c, "axes"));
  DLC_CHECK(c.require(0));
  const Dims &in = c.type(0).dims;
  int64_t outRank = static_cast<int64_t>(in.size() + axes.size());
  std::set<int64_t> at;
  for (int64_t a : axes) {
    DLC_TRY(n, normAxis(c, a, static_cast<size_t>(outRank)));
    if (!at.insert(n).second)
      return c.error("axis " + std::to_string(a) + " is repeated");
  }
  if (axes.empty())
    return c.error("axes must not be empty");
  Dims out;
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i)
    out.push_back(at.count(i) ? Dim(1) : in[next++]);
  return reshapeTo(c, out);
}

Status squeezeOp(OpCtx &c) {
  DLC_TRY(axes, axesInput(c, "axes"));
  DLC_CHECK(c.require(0));
  const Dims &in = c.type(0).dims;
  std::set<int64_t> at;
  for (int64_t a : axes) {
    DLC_TRY(n, normAxis(c, a, in.size()));
    if (!(in[n] == Dim(1)))
      return c.error("cannot squeeze axis " + std::to_string(a) + " of " +
                     dimsString(in) + ": its dim is not 1");
    at.insert(n);
  }
  Dims out;
  for (size_t i = 0; i < in.size(); ++i) {
    bool drop = axes.empty() ? in[i] == Dim(1)
                             : at.count(static_cast<int64_t>(i)) != 0;
    if (!drop)
      out.push_back(in[i]);
  }
  return reshapeTo(c, out);
}

Status transposeOp(OpCtx &c) {
  DLC_TRY(perm, c.attrInts("perm"));
  DLC_TRY(x, c.in(0));
  Attrs a;
  if (!perm.empty())
    a["perm"] = ints(perm);
  DLC_TRY(y, c.emitOut(OpKind::Transpose, {x}, a));
  (void)y;
  return Status::ok();
}

Status concatOp(OpCtx &c) {
  DLC_TRY(axisAttr, c.attrInt("axis", 0));
  if (!c.hasAttr("axis"))
    return c.error("attribute 'axis' is required");
  std::vector<size_t> present;
  for (size_t i = 0; i < c.numInputs(); ++i)
    if (c.has(i))
      present.push_back(i);
  if (present.empty())
    return c.error("expects at least one input");
  if (c.allKnown()) {
    // Shape vectors (possibly symbolic) concatenate along their one axis.
    bool vectors = true;
    Dims all;
    DType dt = c.known(present[0])->dtype;
    if (c.known(present[0])->tensor)
      dt = c.known(present[0])->tensor->dtype();
    for (size_t i : present) {
      const Known &k = *c.known(i);
      auto d = knownDims(k);
      DType kt = k.tensor ? k.tensor->dtype() : k.dtype;
      if (!d || k.scalar || (k.tensor && k.tensor->rank() != 1) || kt != dt) {
        vectors = false;
        break;
      }
      all.insert(all.end(), d->begin(), d->end());
    }
    if (vectors && isIndexType(dt) && (axisAttr == 0 || axisAttr == -1)) {
      c.setKnown(0, knownFromDims(all, false, dt));
      return Status::ok();
    }
    bool tensors = true;
    for (size_t i : present)
      tensors &= c.known(i)->tensor.has_value();
    if (tensors) {
      const Tensor &t0 = *c.known(present[0])->tensor;
      auto axis = normalizeAxis(axisAttr, t0.shape().size());
      bool ok = static_cast<bool>(axis) && t0.rank() > 0;
      std::vector<int64_t> shape = t0.shape();
      if (ok) {
        shape[*axis] = 0;
        for (size_t i : present) {
          const Tensor &t = *c.known(i)->tensor;
          ok &= t.dtype() == t0.dtype() && t.rank() == t0.rank();
          for (int64_t j = 0; ok && j < t.rank(); ++j)
            ok &= j == *axis || t.shape()[j] == t0.shape()[j];
          if (ok)
            shape[*axis] += t.shape()[*axis];
        }
      }
      if (ok && checkedNumel(shape)) {
        Tensor out(t0.dtype(), shape);
        int64_t outer = 1, inner = 1;
        for (int64_t j = 0; j < *axis; ++j)
          outer *= shape[j];
        for (size_t j = *axis + 1; j < shape.size(); ++j)
          inner *= shape[j];
        size_t es = dlrt::dtypeSize(t0.dtype());
        std::byte *dst = out.data<std::byte>();
        for (int64_t o = 0; o < outer; ++o)
          for (size_t i : present) {
            const Tensor &t = *c.known(i)->tensor;
            size_t chunk = static_cast<size_t>(t.shape()[*axis] * inner) * es;
            if (chunk)
              std::memcpy(dst, t.data<std::byte>() + o * chunk, chunk);
            dst += chunk;
          }
        c.setKnown(0, knownFromTensor(std::move(out)));
        return Status::ok();
      }
    }
  }
  std::vector<Value *> ins;
  for (size_t i : present) {
    DLC_TRY(v, c.in(i));
    ins.push_back(v);
  }
  DLC_TRY(y, c.emitOut(OpKind::Concat, ins, {{"axis", Attr::ofInt(axisAttr)}}));
  (void)y;
  return Status::ok();
}

Status splitOp(OpCtx &c) {
  DLC_TRY(axis, c.attrInt("axis", 0));
  std::vector<int64_t> split;
  if (c.opset() >= 13) {
    if (c.has(1)) {
      DLC_TRY(v, c.constInts(1, "split"));
      split = v;
    }
  } else {
    DLC_TRY(v, c.attrInts("split"));
    split = v;
  }
  if (c.numOutputs() == 0)
    return c.error("expects at least one output");
  for (int64_t s : split)
    if (s < 0 || s > (int64_t(1) << 40))
      return c.error("split sizes must be non-negative");
  DLC_TRY(x, c.in(0));
  Attrs a;
  if (axis)
    a["axis"] = Attr::ofInt(axis);
  if (!split.empty())
    a["split"] = ints(split);
  std::vector<std::string> names;
  for (size_t i = 0; i < c.numOutputs(); ++i)
    names.push_back(c.hasOutput(i) ? c.outName(i) : "");
  DLC_TRY(n, c.emitMulti(OpKind::Split, {x}, a, names));
  for (size_t i = 0; i < c.numOutputs(); ++i)
    c.setValue(i, n->outputs[i]);
  return Status::ok();
}

// Element offsets of a slice along each axis: start, step and count.
struct SliceAxis {
  int64_t start = 0, step = 1, count = 0;
};

SliceAxis sliceAxis(int64_t dim, int64_t s, int64_t e, int64_t st) {
  SliceAxis r;
  r.step = st;
  s = s < 0 ? s + dim : s;
  e = e < 0 ? e + dim : e;
  if (st > 0) {
    s = std::clamp<int64_t>(s, 0, dim);
    e = std::clamp<int64_t>(e, 0, dim);
    r.start = s;
    r.count = e > s ? (e - s - 1) / st + 1 : 0;
  } else {
    s = std::clamp<int64_t>(s, 0, dim - 1);
    e = std::clamp<int64_t>(e, -1, dim - 1);
    r.start = s;
    r.count = s > e ? (s - e - 1) / -st + 1 : 0;
  }
  return r;
}

Status sliceOp(OpCtx &c) {
  std::vector<int64_t> starts, ends, axes, steps;
  if (c.opset() < 10) {
    DLC_TRY(s, c.attrInts("starts"));
    DLC_TRY(e, c.attrInts("ends"));
    DLC_TRY(a, c.attrInts("axes"));
    starts = s, ends = e, axes = a;
  } else {
    DLC_TRY(s, c.constInts(1, "starts"));
    DLC_TRY(e, c.constInts(2, "ends"));
    starts = s, ends = e;
    if (c.has(3)) {
      DLC_TRY(a, c.constInts(3, "axes"));
      axes = a;
    }
    if (c.has(4)) {
      DLC_TRY(st, c.constInts(4, "steps"));
      steps = st;
    }
  }
  DLC_CHECK(c.require(0));
  const Dims &in = c.type(0).dims;
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return c.error("starts, ends, axes and steps must have the same length");
  // A step beyond any dim takes one element, as a step of 2^40 does; the
  // clamp keeps the size arithmetic in range.
  constexpr int64_t kBig = int64_t(1) << 40;
  for (int64_t &s : steps)
    s = std::clamp(s, -kBig, kBig);
  std::vector<SliceAxis> plan(in.size());
  std::vector<bool> sliced(in.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    DLC_TRY(a, normAxis(c, axes[i], in.size()));
    if (sliced[a])
      return c.error("axis " + std::to_string(axes[i]) + " is repeated");
    if (steps[i] == 0)
      return c.error("steps must be non-zero");
    sliced[a] = true;
    if (in[a].isStatic())
      plan[a] = sliceAxis(in[a].value, starts[i], ends[i], steps[i]);
  }
  // Fold slices of known values.
  const Known *k = c.known(0);
  if (k && c.allKnown() && c.type(0).isStatic()) {
    std::vector<int64_t> shape = c.type(0).staticShape();
    for (size_t a = 0; a < shape.size(); ++a)
      if (!sliced[a])
        plan[a] = {0, 1, shape[a]};
    std::vector<int64_t> outShape;
    for (auto &p : plan)
      outShape.push_back(p.count);
    if (k->dims && !k->scalar) {
      Dims out;
      for (int64_t j = 0; j < plan[0].count; ++j)
        out.push_back((*k->dims)[plan[0].start + j * plan[0].step]);
      c.setKnown(0, knownFromDims(out, false, k->dtype));
      return Status::ok();
    }
    if (k->tensor && checkedNumel(outShape)) {
      const Tensor &t = *k->tensor;
      Tensor out(t.dtype(), outShape);
      std::vector<int64_t> st = stridesOf(shape);
      size_t es = dlrt::dtypeSize(t.dtype());
      int64_t base = 0;
      for (size_t a = 0; a < plan.size(); ++a)
        base += plan[a].start * st[a];
      std::vector<int64_t> idx(outShape.size(), 0);
      int64_t src = base;
      for (int64_t e = 0; e < out.numel(); ++e) {
        std::memcpy(out.data<std::byte>() + e * es,
                    t.data<std::byte>() + src * es, es);
        for (size_t a = idx.size(); a-- > 0;) {
          ++idx[a];
          src += plan[a].step * st[a];
          if (idx[a] < outShape[a])
            break;
          src -= plan[a].step * st[a] * idx[a];
          idx[a] = 0;
        }
      }
      c.setKnown(0, knownFromTensor(std::move(out)));
      return Status::ok();
    }
  }
  DLC_TRY(x, c.in(0));
  Attrs a{{"starts", ints(starts)}, {"ends", ints(ends)}};
  bool defaultAxes = true;
  for (size_t i = 0; i < axes.size(); ++i)
    defaultAxes &= axes[i] == static_cast<int64_t>(i);
  if (!defaultAxes)
    a["axes"] = ints(axes);
  putInts(a, "steps", steps, 1);
  DLC_TRY(y, c.emitOut(OpKind::Slice, {x}, a));
  (void)y;
  return Status::ok();
}

Status gatherOp(OpCtx &c) {
  DLC_TRY(axisAttr, c.attrInt("axis", 0));
  DLC_CHECK(c.require(0));
  DLC_CHECK(c.require(1));
  if (c.allKnown() && c.known(1)->tensor &&
      !dlrt::isFloat(c.known(1)->tensor->dtype())) {
    const Known &data = *c.known(0);
    const Tensor &idx = *c.known(1)->tensor;
    const TensorType &dt = c.type(0);
    DLC_TRY(axis, normAxis(c, axisAttr, dt.rank()));
    if (!dt.isStatic() || dt.rank() == 0)
      return c.error("cannot gather from a scalar");
    int64_t n = dt.staticShape()[axis];
    std::vector<int64_t> pick;
    for (int64_t i = 0; i < idx.numel(); ++i) {
      int64_t j = readInt(idx, i);
      if (j < -n || j >= n)
        return c.error("index " + std::to_string(j) + " is out of range for "
                       "a dim of " + std::to_string(n));
      pick.push_back(j < 0 ? j + n : j);
    }
    if (data.dims && !data.scalar) {
      Dims out;
      for (int64_t j : pick)
        out.push_back((*data.dims)[j]);
      if (idx.rank() <= 1) {
        c.setKnown(0, knownFromDims(out, idx.rank() == 0, data.dtype));
        return Status::ok();
      }
    }
    if (data.tensor) {
      const Tensor &t = *data.tensor;
      std::vector<int64_t> shape(t.shape().begin(), t.shape().begin() + axis);
      shape.insert(shape.end(), idx.shape().begin(), idx.shape().end());
      shape.insert(shape.end(), t.shape().begin() + axis + 1, t.shape().end());
      if (checkedNumel(shape)) {
        Tensor out(t.dtype(), shape);
        int64_t outer = 1, inner = 1;
        for (int64_t j = 0; j < axis; ++j)
          outer *= t.shape()[j];
        for (int64_t j = axis + 1; j < t.rank(); ++j)
          inner *= t.shape()[j];
        size_t chunk = static_cast<size_t>(inner) * dlrt::dtypeSize(t.dtype());
        std::byte *dst = out.data<std::byte>();
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t j : pick) {
            if (chunk)
              std::memcpy(dst, t.data<std::byte>() + (o * n + j) * chunk,
                          chunk);
            dst += chunk;
          }
        c.setKnown(0, knownFromTensor(std::move(out)));
        return Status::ok();
      }
    }
  }
  DLC_TRY(x, c.in(0));
  DLC_TRY(idx, c.in(1));
  Attrs a;
  if (axisAttr)
    a["axis"] = Attr::ofInt(axisAttr);
  DLC_TRY(y, c.emitOut(OpKind::Gather, {x, idx}, a));
  (void)y;
  return Status::ok();
}

Status expandOp(OpCtx &c) {
  DLC_TRY(shape, c.constDims(1, "shape"));
  DLC_CHECK(c.require(0));
  for (const Dim &d : shape)
    if (d.isStatic() && (d.value < 0 || d.value > (int64_t(1) << 40)))
      return c.error("shape " + dimsString(shape) + " is invalid");
  const Known *k = c.known(0);
  if (k && k->tensor && c.allKnown())
    if (auto s = staticDims(shape)) {
      const Tensor &t = *k->tensor;
      auto out = broadcastShapes({t.shape(), *s});
      if (out && checkedNumel(*out)) {
        Tensor r(t.dtype(), *out);
        size_t es = dlrt::dtypeSize(t.dtype());
        forEachBroadcast(*out, {t.shape()},
                         [&](int64_t e, const std::vector<int64_t> &off) {
                           std::memcpy(r.data<std::byte>() + e * es,
                                       t.data<std::byte>() + off[0] * es, es);
                         });
        c.setKnown(0, knownFromTensor(std::move(r)));
        return Status::ok();
      }
    }
  DLC_TRY(x, c.in(0));
  DLC_TRY(y, c.emitOut(OpKind::Expand, {x}, {{"shape", Attr::ofDims(shape)}}));
  (void)y;
  return Status::ok();
}

Status tileOp(OpCtx &c) {
  DLC_TRY(repeats, c.constInts(1, "repeats"));
  for (int64_t r : repeats)
    if (r < 0 || r > (int64_t(1) << 20))
      return c.error("repeats must be in [0, 2^20]");
  DLC_TRY(x, c.in(0));
  DLC_TRY(y, c.emitOut(OpKind::Tile, {x}, {{"repeats", ints(repeats)}}));
  (void)y;
  return Status::ok();
}

Status padOp(OpCtx &c) {
  DLC_TRY(mode, c.attrString("mode", "constant"));
  std::vector<int64_t> pads;
  double value = 0;
  if (c.opset() < 11) {
    DLC_TRY(p, c.attrInts("pads"));
    if (!c.hasAttr("pads"))
      return c.error("attribute 'pads' is required");
    DLC_TRY(v, c.attrFloat("value", 0.0));
    pads = p, value = v;
  } else {
    DLC_TRY(p, c.constInts(1, "pads"));
    pads = p;
    if (c.has(2)) {
      DLC_TRY(t, c.constTensor(2, "constant_value"));
      if (t.numel() != 1)
        return c.error("constant_value must be a scalar");
      value = attrValue(t, 0);
    }
    if (c.has(3))
      return c.error("the axes input is not supported");
  }
  for (int64_t p : pads)
    if (p < -(int64_t(1) << 40) || p > (int64_t(1) << 40))
      return c.error("pads are out of range");
  DLC_TRY(x, c.in(0));
  Attrs a{{"pads", ints(pads)}};
  if (mode != "constant")
    a["mode"] = Attr::ofString(mode);
  if (value != 0.0)
    a["value"] = Attr::ofFloat(value);
  DLC_TRY(y, c.emitOut(OpKind::Pad, {x}, a));
  (void)y;
  return Status::ok();
}

} // namespace

const std::map<std::string, OpHandler> &opTable() {
  static const std::map<std::string, OpHandler> table = {
      {"Abs", unaryOp<OpKind::Abs>},
      {"Add", binaryOp},
      {"And", binaryOp},
      {"ArgMax", argReduceOp},
      {"ArgMin", argReduceOp},
      {"AveragePool", poolOp},
      {"BatchNormalization", batchNormOp},
      {"Cast", castOp},
      {"Ceil", unaryOp<OpKind::Ceil>},
      {"Clip", clipOp},
      {"Concat", concatOp},
      {"Constant", constantOp},
      {"ConstantOfShape", constantOfShapeOp},
      {"Conv", convOp},
      {"ConvTranspose", convTransposeOp},
      {"Cos", unaryOp<OpKind::Cos>},
      {"Div", binaryOp},
      {"Dropout", dropoutOp},
      {"Elu", eluOp},
      {"Equal", binaryOp},
      {"Erf", unaryOp<OpKind::Erf>},
      {"Exp", unaryOp<OpKind::Exp>},
      {"Expand", expandOp},
      {"Flatten", flattenOp},
      {"Floor", unaryOp<OpKind::Floor>},
      {"Gather", gatherOp},
      {"Gemm", gemmOp},
      {"GlobalAveragePool", globalPoolOp},
      {"GlobalMaxPool", globalPoolOp},
      {"Greater", binaryOp},
      {"GreaterOrEqual", binaryOp},
      {"HardSigmoid", hardSigmoidOp},
      {"HardSwish", hardSwishOp},
      {"Identity", identityOp},
      {"LeakyRelu", leakyReluOp},
      {"Less", binaryOp},
      {"LessOrEqual", binaryOp},
      {"Log", unaryOp<OpKind::Log>},
      {"LogSoftmax", softmaxOp},
      {"MatMul", matMulOp},
      {"Max", variadicOp},
      {"MaxPool", poolOp},
      {"Mean", variadicOp},
      {"Min", variadicOp},
      {"Mod", modOp},
      {"Mul", binaryOp},
      {"Neg", unaryOp<OpKind::Neg>},
      {"Not", notOp},
      {"Or", binaryOp},
      {"PRelu", preluOp},
      {"Pad", padOp},
      {"Pow", binaryOp},
      {"Range", rangeOp},
      {"Reciprocal", unaryOp<OpKind::Reciprocal>},
      {"ReduceL1", reduceOp},
      {"ReduceL2", reduceOp},
      {"ReduceLogSum", reduceOp},
      {"ReduceLogSumExp", reduceOp},
      {"ReduceMax", reduceOp},
      {"ReduceMean", reduceOp},
      {"ReduceMin", reduceOp},
      {"ReduceProd", reduceOp},
      {"ReduceSum", reduceOp},
      {"ReduceSumSquare", reduceOp},
      {"Relu", unaryOp<OpKind::Relu>},
      {"Reshape", reshapeOp},
      {"Round", unaryOp<OpKind::Round>},
      {"Selu", seluOp},
      {"Shape", shapeOp},
      {"Sigmoid", unaryOp<OpKind::Sigmoid>},
      {"Sign", unaryOp<OpKind::Sign>},
      {"Sin", unaryOp<OpKind::Sin>},
      {"Size", sizeOp},
      {"Slice", sliceOp},
      {"Softmax", softmaxOp},
      {"Softplus", unaryOp<OpKind::Softplus>},
      {"Softsign", softsignOp},
      {"Split", splitOp},
      {"Sqrt", unaryOp<OpKind::Sqrt>},
      {"Squeeze", squeezeOp},
      {"Sub", binaryOp},
      {"Sum", variadicOp},
      {"Tanh", unaryOp<OpKind::Tanh>},
      {"Tile", tileOp},
      {"Transpose", transposeOp},
      {"Unsqueeze", unsqueezeOp},
      {"Where", whereOp},
      {"Xor", binaryOp},
  };
  return table;
}

} // namespace onnximport
} // namespace dlc
