// Gradient rules of the element-wise ops. Binary ops broadcast, so each input
// gradient is summed back to the input's shape (sumTo).
#include "autodiff/GradContext.h"

namespace dlc {

// d/da (a + b) = 1, d/db (a + b) = 1
void gradAdd(GradContext &c) {
  if (c.needs(0))
    c.setGrad(0, c.sumTo(c.dy(0), c.x(0)->type));
  if (c.needs(1))
    c.setGrad(1, c.sumTo(c.dy(0), c.x(1)->type));
}

// d/da (a - b) = 1, d/db (a - b) = -1
void gradSub(GradContext &c) {
  if (c.needs(0))
    c.setGrad(0, c.sumTo(c.dy(0), c.x(0)->type));
  if (c.needs(1))
    c.setGrad(1, c.sumTo(c.neg(c.dy(0)), c.x(1)->type));
}

// d/da (a * b) = b, d/db (a * b) = a
void gradMul(GradContext &c) {
  if (c.needs(0))
    c.setGrad(0, c.sumTo(c.mul(c.dy(0), c.x(1)), c.x(0)->type));
  if (c.needs(1))
    c.setGrad(1, c.sumTo(c.mul(c.dy(0), c.x(0)), c.x(1)->type));
}

// d/da (a / b) = 1 / b, d/db (a / b) = -a / b^2 = -y / b
void gradDiv(GradContext &c) {
  Value *dyOverB = c.div(c.dy(0), c.x(1));
  if (c.needs(0))
    c.setGrad(0, c.sumTo(dyOverB, c.x(0)->type));
  if (c.needs(1))
    c.setGrad(1, c.sumTo(c.neg(c.mul(dyOverB, c.y(0))), c.x(1)->type));
}

// d/dx (-x) = -1
void gradNeg(GradContext &c) { c.setGrad(0, c.neg(c.dy(0))); }

// d/dx |x| = sign(x)   (0 at 0, as in PyTorch)
void gradAbs(GradContext &c) {
  c.setGrad(0, c.mul(c.dy(0), c.op(OpKind::Sign, {c.x(0)})));
}

// d/dx exp(x) = exp(x) = y
void gradExp(GradContext &c) { c.setGrad(0, c.mul(c.dy(0), c.y(0))); }

// d/dx log(x) = 1 / x
void gradLog(GradContext &c) { c.setGrad(0, c.div(c.dy(0), c.x(0))); }

// d/dx relu(x) = 1 if x > 0 else 0   (0 at 0, as in PyTorch)
void gradRelu(GradContext &c) {
  Value *pos = c.op(OpKind::Greater, {c.x(0), c.scalar(0, c.x(0))});
  c.setGrad(0, c.where(pos, c.dy(0), c.scalar(0, c.dy(0))));
}

// d/dx sigmoid(x) = y * (1 - y)
void gradSigmoid(GradContext &c) {
  Value *oneMinusY = c.sub(c.scalar(1, c.y(0)), c.y(0));
  c.setGrad(0, c.mul(c.dy(0), c.mul(c.y(0), oneMinusY)));
}

// d/dx tanh(x) = 1 - y^2
void gradTanh(GradContext &c) {
  Value *oneMinusY2 = c.sub(c.scalar(1, c.y(0)), c.mul(c.y(0), c.y(0)));
  c.setGrad(0, c.mul(c.dy(0), oneMinusY2));
}

} // namespace dlc
