// Gradient rules of the neural-network layers.
#include "autodiff/GradContext.h"

namespace dlc {

// Y = op(A) op(B) over the last two axes, batch axes broadcast.
//   dA = dY B^T  (transA=0)     dA = B dY^T  (transA=1)
//   dB = A^T dY  (transB=0)     dB = dY^T A  (transB=1)
// with the transposes folded into MatMul's flags; batch broadcasting is
// summed back by sumTo. 1-D operands are promoted to matrices first.
void gradMatMul(GradContext &c) {
  Value *a = c.x(0), *b = c.x(1), *dy = c.dy(0);
  bool ta = c.node().getInt("transA"), tb = c.node().getInt("transB");
  // Promote vectors: a [K] -> [1, K], b [K] -> [K, 1], dy to match.
  if (a->type.rank() == 1) {
    a = c.reshape(a, {Dim(1), a->type.dims[0]});
    ta = false;
  }
  if (b->type.rank() == 1) {
    b = c.reshape(b, {b->type.dims[0], Dim(1)});
    tb = false;
  }
  Dims dyDims = dy->type.dims;
  if (c.x(0)->type.rank() == 1)
    dyDims.insert(dyDims.end() - (c.x(1)->type.rank() == 1 ? 0 : 1), Dim(1));
  if (c.x(1)->type.rank() == 1)
    dyDims.push_back(Dim(1));
  dy = c.reshape(dy, dyDims);
  auto mm = [&](Value *l, Value *r, bool tl, bool tr) {
    return c.op(OpKind::MatMul, {l, r},
                {{"transA", Attr::ofInt(tl)}, {"transB", Attr::ofInt(tr)}});
  };
  if (c.needs(0)) {
    Value *da = ta ? mm(b, dy, tb, true) : mm(dy, b, false, !tb);
    c.setGrad(0, c.reshape(c.sumTo(da, a->type), c.x(0)->type.dims));
  }
  if (c.needs(1)) {
    Value *db = tb ? mm(dy, a, true, ta) : mm(a, dy, !ta, false);
    c.setGrad(1, c.reshape(c.sumTo(db, b->type), c.x(1)->type.dims));
  }
}

} // namespace dlc
