// HTensor helpers and the family dispatch.
#include "codegen/Lower.h"

namespace dlc::codegen {

Halide::Type halideType(DType t) {
  switch (t) {
  case DType::F32: return Halide::Float(32);
  case DType::F64: return Halide::Float(64);
  case DType::F16: return Halide::Float(16);
  case DType::I64: return Halide::Int(64);
  case DType::I32: return Halide::Int(32);
  case DType::I8: return Halide::Int(8);
  case DType::U8: return Halide::UInt(8);
  case DType::Bool: return Halide::UInt(8);
  }
  return Halide::Float(32);
}

Halide::Expr HTensor::operator()(const std::vector<Halide::Expr> &idx) const {
  std::vector<Halide::Expr> rev(idx.rbegin(), idx.rend());
  if (rev.empty())
    return f();
  return f(rev);
}

Halide::Expr HTensor::operator()(const std::vector<Halide::Var> &idx) const {
  return (*this)(std::vector<Halide::Expr>(idx.begin(), idx.end()));
}

std::vector<Halide::Var> irVars(size_t rank, const std::string &prefix) {
  std::vector<Halide::Var> v;
  for (size_t i = 0; i < rank; ++i)
    v.emplace_back(prefix + std::to_string(i));
  return v;
}

void define(HTensor &t, const std::vector<Halide::Var> &vars, Halide::Expr value) {
  std::vector<Halide::Var> rev(vars.rbegin(), vars.rend());
  if (rev.empty())
    t.f() = value;
  else
    t.f(rev) = value;
}

Status lowerNode(LowerCtx &c) {
  switch (c.node.op) {
#define DLC_OP(Name, Family, MinIn, MaxIn, MinOut, MaxOut)                     \
  case OpKind::Name:                                                           \
    return lower##Family(c);
#include "ir/Ops.def"
  }
  return c.error("unknown op");
}

} // namespace dlc::codegen
