// Shape inference for the gradient ops. Each checks that dy has the shape the
// forward op would give for x, by running the forward op's inference on a
// scratch node, so forward and backward can never disagree about shapes.
#include "ir/ShapeInference.h"

namespace dlc {

// Infers the forward op `fwd` on `ins` with `n`'s attributes (those the
// forward op knows) and checks that its output type is dy's.
static Status checkForward(const Node &n, OpKind fwd, std::vector<Value *> ins,
                           const Value *dy, std::map<std::string, Attr> extra = {}) {
  Node f;
  f.op = fwd;
  f.name = n.name;
  for (const auto &[k, a] : n.attrs)
    if (findAttrSpec(fwd, k))
      f.attrs[k] = a;
  for (auto &[k, a] : extra)
    f.attrs[k] = a;
  f.inputs = std::move(ins);
  Value out;
  f.outputs.push_back(&out);
  if (Status s = inferTypes(f); !s) {
    // Drop the scratch node's own "node '...' (Op): " prefix.
    const std::string &m = s.error().message();
    size_t colon = m.find("): ");
    return Error(colon == std::string::npos ? m : m.substr(colon + 3));
  }
  if (out.type != dy->type)
    return Error("dy is " + dy->type.str() + " but " + opName(fwd) + " gives " +
                 out.type.str());
  return Status::ok();
}

Status inferPoolGrad(Node &n) {
  OpKind fwd = n.op == OpKind::MaxPoolGrad ? OpKind::MaxPool : OpKind::AveragePool;
  DLC_CHECK(checkForward(n, fwd, {n.inputs[0]}, n.inputs[1]));
  n.outputs[0]->type = n.inputs[0]->type;
  return Status::ok();
}

Status inferBatchNormGrad(Node &n) {
  const TensorType &x = n.inputs[0]->type, &scale = n.inputs[1]->type;
  if (x.rank() < 2 || scale.dims != Dims{x.dims[1]} || scale.dtype != x.dtype)
    return Error("scale must be [C] for an input " + x.str());
  if (n.inputs[2]->type != x)
    return Error("dy is " + n.inputs[2]->type.str() + ", expected " + x.str());
  n.outputs[0]->type = x;
  n.outputs[1]->type = scale;
  n.outputs[2]->type = scale;
  return Status::ok();
}

// dw for y = Conv(x, w): w is [M, C/group, k...] with M from dy's channels.
Status inferConvGradWeight(Node &n) {
  const TensorType &x = n.inputs[0]->type, &dy = n.inputs[1]->type;
  const std::vector<int64_t> &k = n.getInts("kernel_shape");
  if (x.rank() < 3 || dy.rank() != x.rank() || k.size() + 2 != x.rank())
    return Error("x " + x.str() + ", dy " + dy.str() + " and kernel_shape do not fit");
  if (!x.dims[1].isStatic() || !dy.dims[1].isStatic())
    return Error("channel dims must be static");
  int64_t group = n.getInt("group");
  if (group <= 0 || x.dims[1].value % group != 0)
    return Error("group must divide the input channels");
  std::vector<int64_t> ws{dy.dims[1].value, x.dims[1].value / group};
  ws.insert(ws.end(), k.begin(), k.end());
  TensorType w = TensorType::of(x.dtype, ws);
  Value wv;
  wv.type = w;
  DLC_CHECK(checkForward(n, OpKind::Conv, {n.inputs[0], &wv}, n.inputs[1]));
  n.outputs[0]->type = w;
  return Status::ok();
}

Status inferGatherGrad(Node &n) {
  DLC_CHECK(checkForward(n, OpKind::Gather, {n.inputs[0], n.inputs[1]}, n.inputs[2]));
  n.outputs[0]->type = n.inputs[0]->type;
  return Status::ok();
}

Status inferPadGrad(Node &n) {
  DLC_CHECK(checkForward(n, OpKind::Pad, {n.inputs[0]}, n.inputs[1]));
  n.outputs[0]->type = n.inputs[0]->type;
  return Status::ok();
}

} // namespace dlc
