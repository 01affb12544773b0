// Emission helpers for gradient rules.
#include "autodiff/GradContext.h"

namespace dlc {

GradContext::GradContext(Graph &g, const Node &n, std::vector<Value *> dys,
                         std::vector<bool> needs)
    : g_(g), n_(&n), dys_(std::move(dys)), needs_(std::move(needs)),
      grads_(n.inputs.size(), nullptr), base_(n.name + ".bwd") {}

void GradContext::setGrad(size_t i, Value *g) {
  DLC_ASSERT(i < grads_.size(), "gradient for an input the node does not have");
  grads_[i] = g;
}

std::vector<Value *> GradContext::opMulti(OpKind op, std::vector<Value *> ins,
                                          std::map<std::string, Attr> attrs,
                                          size_t outputs) {
  if (err_)
    return std::vector<Value *>(outputs, nullptr);
  for (Value *in : ins)
    if (!in && ins.size() <= static_cast<size_t>(opInfo(op).minInputs)) {
      err_ = Error("a gradient rule used a missing value");
      return std::vector<Value *>(outputs, nullptr);
    }
  std::vector<std::string> names(outputs, base_);
  auto n = Builder(g_).addMulti(op, std::move(ins), std::move(attrs), base_, names);
  if (!n) {
    err_ = n.takeError();
    return std::vector<Value *>(outputs, nullptr);
  }
  return (*n)->outputs;
}

Value *GradContext::op(OpKind op, std::vector<Value *> ins,
                       std::map<std::string, Attr> attrs) {
  return opMulti(op, std::move(ins), std::move(attrs), 1)[0];
}

Value *GradContext::scalar(double v, const Value *like) {
  return g_.addConst(g_.uniqueName(base_ + ".c"), Tensor::scalar(like->type.dtype, v));
}

Value *GradContext::zerosLike(const Value *like) {
  return op(OpKind::Expand, {scalar(0, like)}, {{"shape", Attr::ofDims(like->type.dims)}});
}

Value *GradContext::reshape(Value *v, const Dims &dims) {
  if (v && v->type.dims == dims)
    return v;
  return op(OpKind::Reshape, {v}, {{"shape", Attr::ofDims(dims)}});
}

Value *GradContext::sumTo(Value *g, const TensorType &t) {
  if (!g || g->type.dims == t.dims)
    return g;
  const Dims &gd = g->type.dims;
  size_t lead = gd.size() - t.rank();
  std::vector<int64_t> axes;
  for (size_t i = 0; i < gd.size(); ++i)
    if (i < lead || (t.dims[i - lead] == Dim(1) && gd[i] != Dim(1)))
      axes.push_back(static_cast<int64_t>(i));
  Value *s = axes.empty() ? g
                          : op(OpKind::ReduceSum, {g},
                               {{"axes", Attr::ofInts(axes)}, {"keepdims", Attr::ofInt(1)}});
  return reshape(s, t.dims);
}

Value *GradContext::expandTo(Value *g, const TensorType &t) {
  if (!g || g->type.dims == t.dims)
    return g;
  return op(OpKind::Expand, {g}, {{"shape", Attr::ofDims(t.dims)}});
}

GradRule findGradRule(OpKind op) {
#define DLC_GRAD(Op, Function) void Function(GradContext &);
#include "autodiff/GradRules.def"
  switch (op) {
#define DLC_GRAD(Op, Function)                                                 \
  case OpKind::Op:                                                             \
    return Function;
#include "autodiff/GradRules.def"
  default:
    return nullptr;
  }
}

} // namespace dlc
