// Shape inference for reductions and arg-reductions.
#include "ir/ShapeInference.h"

#include <set>

namespace dlc {

static Dims reduced(const Dims &in, const std::set<int64_t> &axes, bool keep) {
  Dims out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!axes.count(static_cast<int64_t>(i)))
      out.push_back(in[i]);
    else if (keep)
      out.push_back(Dim(1));
  }
  return out;
}

Status inferReduce(Node &n) {
  const TensorType &x = n.inputs[0]->type;
  std::set<int64_t> axes;
  for (int64_t a : n.getInts("axes")) {
    DLC_TRY(ax, normalizeAxis(a, x.rank()));
    if (!axes.insert(ax).second)
      return Error("axis " + std::to_string(a) + " is repeated");
  }
  if (axes.empty())
    for (size_t i = 0; i < x.rank(); ++i)
      axes.insert(static_cast<int64_t>(i));
  n.outputs[0]->type = {x.dtype, reduced(x.dims, axes, n.getInt("keepdims"))};
  return Status::ok();
}

Status inferArgReduce(Node &n) {
  const TensorType &x = n.inputs[0]->type;
  DLC_TRY(axis, normalizeAxis(n.getInt("axis"), x.rank()));
  n.outputs[0]->type = {DType::I64,
                        reduced(x.dims, {axis}, n.getInt("keepdims"))};
  return Status::ok();
}

} // namespace dlc
