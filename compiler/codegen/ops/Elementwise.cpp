// Halide lowering of the element-wise families: unary math, binary ops with
// numpy broadcasting, comparisons, where, cast. Math runs in the tensor's
// type (f16 through f32).
#include "codegen/ops/Helpers.h"

#include <cmath>

namespace dlc::codegen {

using namespace Halide;

namespace {

// Clip's float bounds for an integer type, as the reference's clipBound:
// rounded inward (ceil of min, floor of max), NaN as no bound, saturated to
// the type's range (a cast of +-3.4e38 to an integer type is undefined).
Expr intClipBound(Type t, double v, bool lower) {
  double lo = t.is_uint() ? 0.0 : -std::ldexp(1.0, t.bits() - 1);
  double hi = t.is_uint() ? std::ldexp(1.0, t.bits()) : std::ldexp(1.0, t.bits() - 1);
  if (std::isnan(v))
    return lower ? t.min() : t.max();
  v = lower ? std::ceil(v) : std::floor(v);
  if (v <= lo)
    return t.min();
  if (v >= hi) // hi itself is one past the largest value
    return t.max();
  return t.is_uint() ? cast(t, Expr(static_cast<uint64_t>(v)))
                     : cast(t, Expr(static_cast<int64_t>(v)));
}

Expr unaryMath(const Node &n, Expr x) {
  Type t = x.type();
  auto c = [&](double v) { return cast(t, Expr(v)); };
  switch (n.op) {
  case OpKind::Abs: return abs(x);
  case OpKind::Ceil: return ceil(x);
  case OpKind::Clip:
    if (!t.is_float())
      return clamp(x, intClipBound(t, n.getFloat("min"), true),
                   intClipBound(t, n.getFloat("max"), false));
    return clamp(x, cast(t, Expr(std::max(n.getFloat("min"), -3.4e38))),
                 cast(t, Expr(std::min(n.getFloat("max"), 3.4e38))));
  case OpKind::Cos: return cos(x);
  case OpKind::Elu: return select(x > 0, x, c(n.getFloat("alpha")) * (exp(x) - c(1)));
  case OpKind::Erf: return erf(x);
  case OpKind::Exp: return exp(x);
  case OpKind::Floor: return floor(x);
  case OpKind::LeakyRelu: return select(x > 0, x, c(n.getFloat("alpha")) * x);
  case OpKind::Log: return log(x);
  case OpKind::Neg: return -x;
  case OpKind::Not: return cast(t, x == 0);
  case OpKind::Reciprocal: return c(1) / x;
  case OpKind::Relu: return max(x, c(0));
  case OpKind::Round: return round(x); // half to even, as ONNX
  case OpKind::Sigmoid: return c(1) / (c(1) + exp(-x));
  case OpKind::Sign: return select(x > 0, c(1), x < 0, c(-1), c(0));
  case OpKind::Sin: return sin(x);
  case OpKind::Softplus: {
    // log(1 + exp(beta x)) / beta, stable for large beta x.
    Expr bx = c(n.getFloat("beta")) * x;
    return select(bx > c(20), x, log(c(1) + exp(bx)) / c(n.getFloat("beta")));
  }
  case OpKind::Sqrt: return sqrt(x);
  case OpKind::Tanh: return tanh(x);
  default: return Expr();
  }
}

Expr binaryMath(const Node &n, Expr a, Expr b) {
  switch (n.op) {
  case OpKind::Add: return a + b;
  case OpKind::And: return cast(a.type(), a != 0 && b != 0);
  case OpKind::Div:
    // Halide's integer division is Euclidean; ONNX's (and the reference's)
    // truncates toward zero: one step toward zero where a < 0 leaves a
    // remainder.
    if (a.type().is_int())
      return select(a < 0 && a % b != 0, a / b + select(b > 0, 1, -1), a / b);
    return a / b;
  case OpKind::Max: return max(a, b);
  case OpKind::Min: return min(a, b);
  case OpKind::Mod:
    if (a.type().is_float()) {
      if (n.getInt("fmod"))
        return a - b * cast(a.type(), trunc(a / b));
      return a - b * cast(a.type(), floor(cast(Float(64), a) / cast(Float(64), b)));
    }
    if (a.type().is_int()) {
      // From Halide's Euclidean remainder r (0 <= r < |b|): fmod takes the
      // sign of a (C's %), fmod=0 the sign of b (Python's %).
      Expr r = a % b, absB = select(b < 0, -b, b);
      if (n.getInt("fmod"))
        return select(a < 0 && r != 0, r - absB, r);
      return select(b < 0 && r != 0, r + b, r);
    }
    return a % b; // unsigned: every convention agrees
  case OpKind::Mul: return a * b;
  case OpKind::Or: return cast(a.type(), a != 0 || b != 0);
  case OpKind::Pow: return pow(a, b);
  case OpKind::Sub: return a - b;
  case OpKind::Xor: return cast(a.type(), (a != 0) != (b != 0));
  case OpKind::Equal: return a == b;
  case OpKind::Greater: return a > b;
  case OpKind::GreaterOrEqual: return a >= b;
  case OpKind::Less: return a < b;
  case OpKind::LessOrEqual: return a <= b;
  default: return Expr();
  }
}

Status lowerElementwise(LowerCtx &c, bool compare) {
  HTensor &out = c.outs[0];
  std::vector<Var> vars = irVars(out.rank());
  std::vector<Expr> operands;
  for (const HTensor &in : c.ins)
    operands.push_back(widen(broadcastRead(in, vars, out)));
  Expr v;
  if (c.node.op == OpKind::Where)
    v = select(operands[0] != 0, operands[1], operands[2]);
  else if (operands.size() == 1)
    v = unaryMath(c.node, operands[0]);
  else
    v = binaryMath(c.node, operands[0], operands[1]);
  if (!v.defined())
    return c.error("no Halide lowering");
  v = compare ? cast(UInt(8), v) : cast(out.type, v);
  define(out, vars, v);
  c.outVars = {vars};
  return Status::ok();
}

} // namespace

Status lowerUnary(LowerCtx &c) { return lowerElementwise(c, false); }
Status lowerBinary(LowerCtx &c) { return lowerElementwise(c, false); }
Status lowerCompare(LowerCtx &c) { return lowerElementwise(c, true); }
Status lowerWhere(LowerCtx &c) { return lowerElementwise(c, false); }

Status lowerCast(LowerCtx &c) {
  HTensor &out = c.outs[0];
  std::vector<Var> vars = irVars(out.rank());
  Expr x = c.in(0)(vars);
  DType to = c.node.outputs[0]->type.dtype;
  Expr v;
  if (to == DType::Bool)
    v = cast(UInt(8), x != 0);
  else if (out.type.is_int() || out.type.is_uint())
    // Float to integer truncates toward zero, as the reference interpreter.
    v = x.type().is_float() ? cast(out.type, cast(Int(64), trunc(x))) : cast(out.type, x);
  else
    v = cast(out.type, x);
  define(out, vars, v);
  c.outVars = {vars};
  return Status::ok();
}

} // namespace dlc::codegen
