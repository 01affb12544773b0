// Gradient rules of the element-wise ops. Binary ops broadcast, so each input
// gradient is summed back to the input's shape (sumTo). At kinks and ties the
// rules take PyTorch's choice, stated above each rule.
//
// Floor, Ceil, Round and Sign are piecewise constant: their derivative is 0
// almost everywhere, so their rule sets no gradient at all. Autodiff treats an
// input without a gradient as a zero contribution (a parameter reached only
// through them gets zeros), and no zero tensors are built or summed.
// Mod has no rule.
#include "autodiff/GradContext.h"

#include <cmath>

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

// d/dx 1/x = -1 / x^2 = -y^2
void gradReciprocal(GradContext &c) {
  c.setGrad(0, c.neg(c.mul(c.dy(0), c.mul(c.y(0), c.y(0)))));
}

// d/dx sqrt(x) = 1 / (2 sqrt(x)) = 1 / (2y)
void gradSqrt(GradContext &c) {
  c.setGrad(0, c.div(c.dy(0), c.mul(c.scalar(2, c.y(0)), c.y(0))));
}

// d/dx sin(x) = cos(x)
void gradSin(GradContext &c) {
  c.setGrad(0, c.mul(c.dy(0), c.op(OpKind::Cos, {c.x(0)})));
}

// d/dx cos(x) = -sin(x)
void gradCos(GradContext &c) {
  c.setGrad(0, c.neg(c.mul(c.dy(0), c.op(OpKind::Sin, {c.x(0)}))));
}

// d/dx erf(x) = 2 / sqrt(pi) * exp(-x^2)
void gradErf(GradContext &c) {
  const double twoOverSqrtPi = 1.1283791670955126;
  Value *x = c.x(0);
  Value *e = c.op(OpKind::Exp, {c.neg(c.mul(x, x))});
  c.setGrad(0, c.mul(c.dy(0), c.mul(e, c.scalar(twoOverSqrtPi, x))));
}

// softplus(x) = log(1 + exp(beta x)) / beta
// d/dx softplus(x) = sigmoid(beta x)   (exact: the forward op has no
// linear-above-threshold cut-off, so neither has its derivative)
void gradSoftplus(GradContext &c) {
  double beta = c.node().getFloat("beta");
  Value *bx = beta == 1 ? c.x(0) : c.mul(c.x(0), c.scalar(beta, c.x(0)));
  c.setGrad(0, c.mul(c.dy(0), c.op(OpKind::Sigmoid, {bx})));
}

// elu(x) = x if x > 0 else alpha (exp(x) - 1)
// d/dx elu(x) = 1 if x > 0 else alpha exp(x) = y + alpha   (x = 0: alpha, as
// in PyTorch)
void gradElu(GradContext &c) {
  Value *x = c.x(0), *dy = c.dy(0);
  Value *pos = c.op(OpKind::Greater, {x, c.scalar(0, x)});
  Value *neg = c.mul(dy, c.add(c.y(0), c.scalar(c.node().getFloat("alpha"), x)));
  c.setGrad(0, c.where(pos, dy, neg));
}

// d/dx leaky_relu(x) = 1 if x > 0 else alpha   (x = 0: alpha, as in PyTorch)
void gradLeakyRelu(GradContext &c) {
  Value *x = c.x(0), *dy = c.dy(0);
  Value *pos = c.op(OpKind::Greater, {x, c.scalar(0, x)});
  c.setGrad(0, c.where(pos, dy, c.mul(dy, c.scalar(c.node().getFloat("alpha"), x))));
}

// d/dx clip(x, lo, hi) = 1 if lo <= x <= hi else 0   (the bounds themselves
// pass the gradient, as PyTorch's clamp; infinite bounds test nothing)
void gradClip(GradContext &c) {
  Value *x = c.x(0);
  double lo = c.node().getFloat("min"), hi = c.node().getFloat("max");
  Value *in = nullptr;
  auto both = [&](Value *m) { return in ? c.op(OpKind::And, {in, m}) : m; };
  if (lo != -INFINITY)
    in = both(c.op(OpKind::GreaterOrEqual, {x, c.scalar(lo, x)}));
  if (hi != INFINITY)
    in = both(c.op(OpKind::LessOrEqual, {x, c.scalar(hi, x)}));
  c.setGrad(0, in ? c.where(in, c.dy(0), c.scalar(0, x)) : c.dy(0));
}

// y = a^b
// d/da a^b = b a^(b - 1)   (0 where b = 0, as in PyTorch, so 0^0 has no NaN)
// d/db a^b = a^b log(a) = y log(a)   (0 where a = 0 and b >= 0, as in
// PyTorch; NaN for a < 0, where a^b is not differentiable in b)
void gradPow(GradContext &c) {
  Value *a = c.x(0), *b = c.x(1), *dy = c.dy(0), *zero = c.scalar(0, a);
  if (c.needs(0)) {
    Value *bMinus1 = c.sub(b, c.scalar(1, b));
    Value *d = c.mul(b, c.op(OpKind::Pow, {a, bMinus1}));
    d = c.where(c.op(OpKind::Equal, {b, zero}), zero, d);
    c.setGrad(0, c.sumTo(c.mul(dy, d), a->type));
  }
  if (c.needs(1)) {
    Value *d = c.mul(c.y(0), c.op(OpKind::Log, {a}));
    Value *flat = c.op(OpKind::And, {c.op(OpKind::Equal, {a, zero}),
                                     c.op(OpKind::GreaterOrEqual, {b, zero})});
    d = c.where(flat, zero, d);
    c.setGrad(1, c.sumTo(c.mul(dy, d), b->type));
  }
}

// Max and Min route dy to the input that won. On a tie (a = b) each input gets
// dy / 2, as PyTorch's torch.maximum / torch.minimum; where a comparison is
// false both ways (NaN) both get dy, as there.
//   max: d/da = [a > b] + [a = b] / 2, d/db = [b > a] + [a = b] / 2
//   min: d/da = [a < b] + [a = b] / 2, d/db = [b < a] + [a = b] / 2
static void gradExtremum(GradContext &c, OpKind aLoses, OpKind bLoses) {
  Value *a = c.x(0), *b = c.x(1), *dy = c.dy(0), *zero = c.scalar(0, dy);
  Value *tie = c.op(OpKind::Equal, {a, b});
  Value *shared = c.where(tie, c.mul(dy, c.scalar(0.5, dy)), dy);
  if (c.needs(0))
    c.setGrad(0, c.sumTo(c.where(c.op(aLoses, {a, b}), zero, shared), a->type));
  if (c.needs(1))
    c.setGrad(1, c.sumTo(c.where(c.op(bLoses, {a, b}), zero, shared), b->type));
}
void gradMax(GradContext &c) { gradExtremum(c, OpKind::Less, OpKind::Greater); }
void gradMin(GradContext &c) { gradExtremum(c, OpKind::Greater, OpKind::Less); }

// y = where(cond, a, b): d/da = [cond], d/db = [!cond]; cond (bool) has none.
void gradWhere(GradContext &c) {
  Value *cond = c.x(0), *dy = c.dy(0), *zero = c.scalar(0, dy);
  if (c.needs(1))
    c.setGrad(1, c.sumTo(c.where(cond, dy, zero), c.x(1)->type));
  if (c.needs(2))
    c.setGrad(2, c.sumTo(c.where(cond, zero, dy), c.x(2)->type));
}

// Cast between float dtypes is the identity up to rounding: dx = cast(dy)
// back to x's dtype. (Casts to or from integers and bool carry no gradient:
// autodiff never activates them.)
void gradCast(GradContext &c) {
  std::string to(dlrt::dtypeName(c.x(0)->type.dtype));
  c.setGrad(0, c.op(OpKind::Cast, {c.dy(0)}, {{"to", Attr::ofString(to)}}));
}

// floor, ceil, round, sign: d/dx = 0 almost everywhere. No gradient is set
// (see the top of the file).
void gradZeroAlmostEverywhere(GradContext &) {}

} // namespace dlc
