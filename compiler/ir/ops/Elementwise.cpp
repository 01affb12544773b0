// Shape inference for element-wise ops: unary, binary with numpy
// broadcasting, comparisons (bool out), where, cast.
#include "ir/ShapeInference.h"

namespace dlc {

static bool floatOnly(OpKind op) {
  switch (op) {
  case OpKind::Abs: case OpKind::Neg: case OpKind::Sign: case OpKind::Relu:
  case OpKind::Clip: case OpKind::Not:
    return false;
  default:
    return true;
  }
}

Status inferUnary(Node &n) {
  const TensorType &t = n.inputs[0]->type;
  if (n.op == OpKind::Not && t.dtype != DType::Bool)
    return Error("expects a bool input, got " + t.str());
  if (floatOnly(n.op) && !dlrt::isFloat(t.dtype))
    return Error("expects a floating-point input, got " + t.str());
  n.outputs[0]->type = t;
  return Status::ok();
}

static Status sameDType(const Node &n, size_t a, size_t b) {
  const TensorType &ta = n.inputs[a]->type, &tb = n.inputs[b]->type;
  if (ta.dtype != tb.dtype)
    return Error("operands have different dtypes: " + ta.str() + " and " +
                 tb.str());
  return Status::ok();
}

Status inferBinary(Node &n) {
  DLC_CHECK(sameDType(n, 0, 1));
  DType t = n.inputs[0]->type.dtype;
  bool logical = n.op == OpKind::And || n.op == OpKind::Or || n.op == OpKind::Xor;
  if (logical != (t == DType::Bool))
    return Error(logical ? "expects bool operands" : "does not take bool operands");
  DLC_TRY(dims, broadcastDims(n.inputs[0]->type.dims, n.inputs[1]->type.dims));
  n.outputs[0]->type = {t, dims};
  return Status::ok();
}

Status inferCompare(Node &n) {
  DLC_CHECK(sameDType(n, 0, 1));
  DLC_TRY(dims, broadcastDims(n.inputs[0]->type.dims, n.inputs[1]->type.dims));
  n.outputs[0]->type = {DType::Bool, dims};
  return Status::ok();
}

Status inferWhere(Node &n) {
  if (n.inputs[0]->type.dtype != DType::Bool)
    return Error("condition must be bool, got " + n.inputs[0]->type.str());
  DLC_CHECK(sameDType(n, 1, 2));
  DLC_TRY(ab, broadcastDims(n.inputs[1]->type.dims, n.inputs[2]->type.dims));
  DLC_TRY(dims, broadcastDims(n.inputs[0]->type.dims, ab));
  n.outputs[0]->type = {n.inputs[1]->type.dtype, dims};
  return Status::ok();
}

Status inferCast(Node &n) {
  auto to = dlrt::parseDType(n.getString("to"));
  if (!to)
    return Error("unknown dtype '" + n.getString("to") + "'");
  n.outputs[0]->type = {*to, n.inputs[0]->type.dims};
  return Status::ok();
}

} // namespace dlc
