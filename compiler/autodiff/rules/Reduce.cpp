// Gradient rules of the reductions: the adjoint of a reduced value spreads
// back over the axes it reduced.
#include "autodiff/GradContext.h"

#include <set>

namespace dlc {

// dy with the reduced axes restored as size 1 (undoing keepdims=0).
static Value *keptDims(GradContext &c) {
  const Node &n = c.node();
  Value *dy = c.dy(0);
  if (n.getInt("keepdims"))
    return dy;
  const Dims &in = c.x(0)->type.dims;
  std::set<int64_t> axes;
  for (int64_t a : n.getInts("axes"))
    axes.insert(a < 0 ? a + static_cast<int64_t>(in.size()) : a);
  Dims kept;
  for (size_t i = 0; i < in.size(); ++i)
    kept.push_back(axes.empty() || axes.count(static_cast<int64_t>(i)) ? Dim(1) : in[i]);
  return c.reshape(dy, kept);
}

// d/dx_i sum_j x_j = 1: the adjoint is broadcast over the reduced axes.
void gradReduceSum(GradContext &c) {
  c.setGrad(0, c.expandTo(keptDims(c), c.x(0)->type));
}

// d/dx_i mean_j x_j = 1 / n, n the number of reduced elements.
void gradReduceMean(GradContext &c) {
  const TensorType &x = c.x(0)->type, &y = c.y(0)->type;
  DimProduct in = dimProduct(x.dims), out = dimProduct(y.dims);
  // n = |x| / |y|; symbols cancel as the reduction keeps them.
  Value *spread = c.expandTo(keptDims(c), x);
  if (in.syms != out.syms) {
    // A symbolic axis was reduced: divide by its run-time size.
    Value *ones = c.op(OpKind::Expand, {c.scalar(1, c.x(0))},
                       {{"shape", Attr::ofDims(x.dims)}});
    Value *count = c.op(OpKind::ReduceSum, {ones},
                        {{"axes", c.node().attr("axes")}, {"keepdims", Attr::ofInt(1)}});
    c.setGrad(0, c.div(spread, count));
    return;
  }
  double n = static_cast<double>(in.factor) / static_cast<double>(out.factor);
  c.setGrad(0, c.mul(spread, c.scalar(1.0 / n, c.x(0))));
}

} // namespace dlc
