// Core-op emission helpers.
#include "ir/Emitter.h"

namespace dlc {

std::vector<Value *> Emitter::opMulti(OpKind op, std::vector<Value *> ins,
                                      std::map<std::string, Attr> attrs,
                                      size_t outputs) {
  if (err_)
    return std::vector<Value *>(outputs, nullptr);
  for (size_t i = 0; i < ins.size(); ++i)
    if (!ins[i] && i < static_cast<size_t>(opInfo(op).minInputs)) {
      err_ = Error(std::string("a missing value was passed to ") + opName(op));
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

Value *Emitter::op(OpKind op, std::vector<Value *> ins,
                   std::map<std::string, Attr> attrs) {
  return opMulti(op, std::move(ins), std::move(attrs), 1)[0];
}

Value *Emitter::cast(Value *v, DType to) {
  if (v && v->type.dtype == to)
    return v;
  return op(OpKind::Cast, {v}, {{"to", Attr::ofString(std::string(dlrt::dtypeName(to)))}});
}

Value *Emitter::sum(Value *v, std::vector<int64_t> axes) {
  return op(OpKind::ReduceSum, {v},
            {{"axes", Attr::ofInts(std::move(axes))}, {"keepdims", Attr::ofInt(0)}});
}

Value *Emitter::mean(Value *v, std::vector<int64_t> axes) {
  return op(OpKind::ReduceMean, {v},
            {{"axes", Attr::ofInts(std::move(axes))}, {"keepdims", Attr::ofInt(0)}});
}

Value *Emitter::scalar(double v, DType t) {
  return g_.addConst(g_.uniqueName(base_ + ".c"), Tensor::scalar(t, v));
}

Value *Emitter::scalar(double v, const Value *like) { return scalar(v, like->type.dtype); }

Value *Emitter::zerosLike(const Value *like) {
  return op(OpKind::Expand, {scalar(0, like)}, {{"shape", Attr::ofDims(like->type.dims)}});
}

Value *Emitter::reshape(Value *v, const Dims &dims) {
  if (v && v->type.dims == dims)
    return v;
  return op(OpKind::Reshape, {v}, {{"shape", Attr::ofDims(dims)}});
}

Value *Emitter::sumTo(Value *g, const TensorType &t) {
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

Value *Emitter::expandTo(Value *g, const TensorType &t) {
  if (!g || g->type.dims == t.dims)
    return g;
  return op(OpKind::Expand, {g}, {{"shape", Attr::ofDims(t.dims)}});
}

} // namespace dlc
