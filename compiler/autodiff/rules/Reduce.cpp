// Gradient rules of the reductions: the adjoint of a reduced value spreads
// back over the axes it reduced.
#include "autodiff/GradContext.h"

#include <set>

namespace dlc {

// `v` (dy, or y) with the reduced axes restored as size 1 (undoing
// keepdims=0), so it broadcasts against x.
static Value *keptDims(GradContext &c, Value *v) {
  const Node &n = c.node();
  if (n.getInt("keepdims"))
    return v;
  const Dims &in = c.x(0)->type.dims;
  std::set<int64_t> axes;
  for (int64_t a : n.getInts("axes"))
    axes.insert(a < 0 ? a + static_cast<int64_t>(in.size()) : a);
  Dims kept;
  for (size_t i = 0; i < in.size(); ++i)
    kept.push_back(axes.empty() || axes.count(static_cast<int64_t>(i)) ? Dim(1) : in[i]);
  return c.reshape(v, kept);
}

// `op` (a reduction) of `v` over the node's axes with keepdims=1.
static Value *reduceKept(GradContext &c, OpKind op, Value *v) {
  return c.op(op, {v}, {{"axes", c.node().attr("axes")}, {"keepdims", Attr::ofInt(1)}});
}

// A bool mask as 0/1 in x's dtype.
static Value *indicator(GradContext &c, Value *mask) {
  std::string to(dlrt::dtypeName(c.x(0)->type.dtype));
  return c.op(OpKind::Cast, {mask}, {{"to", Attr::ofString(to)}});
}

// d/dx_i sum_j x_j = 1: the adjoint is broadcast over the reduced axes.
void gradReduceSum(GradContext &c) {
  c.setGrad(0, c.expandTo(keptDims(c, c.dy(0)), c.x(0)->type));
}

// d/dx_i mean_j x_j = 1 / n, n the number of reduced elements.
void gradReduceMean(GradContext &c) {
  const TensorType &x = c.x(0)->type, &y = c.y(0)->type;
  DimProduct in = dimProduct(x.dims), out = dimProduct(y.dims);
  // n = |x| / |y|; symbols cancel as the reduction keeps them.
  Value *spread = c.expandTo(keptDims(c, c.dy(0)), x);
  if (in.syms != out.syms) {
    // A symbolic axis was reduced: divide by its run-time size.
    Value *ones = c.op(OpKind::Expand, {c.scalar(1, c.x(0))},
                       {{"shape", Attr::ofDims(x.dims)}});
    Value *count = reduceKept(c, OpKind::ReduceSum, ones);
    c.setGrad(0, c.div(spread, count));
    return;
  }
  double n = static_cast<double>(in.factor) / static_cast<double>(out.factor);
  c.setGrad(0, c.mul(spread, c.scalar(1.0 / n, c.x(0))));
}

// d/dx_i max_j x_j = [x_i = y] / #{j : x_j = y}: the adjoint is split evenly
// among tied extremes, as torch.amax / torch.amin (not the subgradient of a
// single argmax). Same rule for ReduceMin. Where y is NaN nothing is equal to
// it and the gradient is 0.
void gradReduceMaxMin(GradContext &c) {
  Value *x = c.x(0), *dy = keptDims(c, c.dy(0));
  Value *hit = c.op(OpKind::Equal, {x, keptDims(c, c.y(0))});
  Value *count = reduceKept(c, OpKind::ReduceSum, indicator(c, hit));
  c.setGrad(0, c.where(hit, c.div(dy, count), c.scalar(0, x)));
}

// d/dx_i prod_j x_j = prod_{j != i} x_j, computed without dividing by zero:
// with p the product of the non-zero x_j (zeros replaced by 1, x' = that x)
// and z_i the number of zeros among the other x_j,
//   prod_{j != i} x_j = p / x'_i if z_i = 0, else 0
// which is exact for any number of zeros (one zero: only it gets p).
void gradReduceProd(GradContext &c) {
  Value *x = c.x(0), *dy = keptDims(c, c.dy(0)), *zero = c.scalar(0, x);
  Value *isZero = c.op(OpKind::Equal, {x, zero});
  Value *xNonZero = c.where(isZero, c.scalar(1, x), x);
  Value *p = reduceKept(c, OpKind::ReduceProd, xNonZero);
  Value *zeroF = indicator(c, isZero);
  Value *otherZeros = c.sub(reduceKept(c, OpKind::ReduceSum, zeroF), zeroF);
  Value *others = c.div(c.mul(dy, p), xNonZero);
  c.setGrad(0, c.where(c.op(OpKind::Equal, {otherZeros, zero}), others, zero));
}

} // namespace dlc
