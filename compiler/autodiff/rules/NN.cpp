// Gradient rules of the neural-network layers. Index notation: n batch, c/o
// channels, p/q spatial positions (tuples on 1-3 axes), k kernel taps; s, d,
// pb are the strides, dilations and begin pads. Windowed ops use the gradient
// ops (ConvGradWeight, MaxPoolGrad, AveragePoolGrad, BatchNormGrad) where core
// ops would express the backward pass badly.
#include "autodiff/GradContext.h"

namespace dlc {

namespace {

// An Ints attribute with its derived default (strides, dilations: 1; pads: 0).
std::vector<int64_t> spatialInts(const Node &n, const char *name, size_t len,
                                 int64_t dflt) {
  std::vector<int64_t> v = n.getInts(name);
  if (v.empty())
    v.assign(len, dflt);
  return v;
}

// The forward node's attributes that the op `to` also has.
std::map<std::string, Attr> sharedAttrs(const Node &n, OpKind to) {
  std::map<std::string, Attr> out;
  for (const auto &[k, a] : n.attrs)
    if (findAttrSpec(to, k))
      out[k] = a;
  return out;
}

// A kernel's spatial extents: its dims after [out, in].
Attr kernelShape(const Value *w) {
  std::vector<int64_t> s = w->type.staticShape();
  return Attr::ofInts(std::vector<int64_t>(s.begin() + 2, s.end()));
}

// Sum over every axis but the channels (1): [N, C, ...] -> [C].
Value *sumButChannels(GradContext &c, Value *v) {
  std::vector<int64_t> axes{0};
  for (size_t i = 2; i < v->type.rank(); ++i)
    axes.push_back(static_cast<int64_t>(i));
  return c.sum(v, axes);
}

// A per-channel [C] value shaped [1, C, 1, ...] to broadcast against `like`.
Value *perChannel(GradContext &c, Value *v, const Value *like) {
  Dims d(like->type.rank(), Dim(1));
  d[1] = v->type.dims[0];
  return c.reshape(v, d);
}

// Sum over the softmax axis, kept as size 1 to broadcast back.
Value *sumAxis(GradContext &c, Value *v) {
  int64_t axis = c.node().getInt("axis");
  if (axis < 0)
    axis += static_cast<int64_t>(v->type.rank());
  return c.op(OpKind::ReduceSum, {v},
              {{"axes", Attr::ofInts({axis})}, {"keepdims", Attr::ofInt(1)}});
}

} // namespace

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

// y[n, o, p] = b[o] + sum_{c, k} x[n, g*Cg + c, p*s - pb + k*d] * w[o, c, k],
// g = o / (O / group) the group of o, Cg = C / group; w is [O, Cg, kernel].
//   dx[n, g*Cg + c, q] = sum_{o in g, p, k : p*s - pb + k*d = q} dy[n, o, p] w[o, c, k]
//                      = ConvTranspose(dy, w) with the same strides, pads,
//     dilations and group (ConvTranspose reads w [O, Cg, kernel] as O inputs
//     and Cg outputs per group, exactly this sum). Its output has length
//     s*(out - 1) + span - pb - pe, short of x's by r = (in + pb + pe - span)
//     mod s: the last r positions of the padded input, which no window
//     reaches, so output_padding = r (their gradient is 0).
//   dw[o, c, k] = sum_{n, p} x[n, g*Cg + c, p*s - pb + k*d] dy[n, o, p]
//               = ConvGradWeight(x, dy) {same attrs, kernel_shape of w}
//   db[o] = sum_{n, p} dy[n, o, p]
void gradConv(GradContext &c) {
  const Node &n = c.node();
  Value *x = c.x(0), *w = c.x(1), *dy = c.dy(0);
  if (c.needs(0)) {
    size_t rank = x->type.rank() - 2;
    std::vector<int64_t> k = w->type.staticShape(), s = spatialInts(n, "strides", rank, 1),
                         d = spatialInts(n, "dilations", rank, 1),
                         p = spatialInts(n, "pads", 2 * rank, 0), outPad(rank);
    for (size_t i = 0; i < rank; ++i) {
      int64_t span = (k[i + 2] - 1) * d[i] + 1;
      outPad[i] = (x->type.dims[i + 2].value + p[i] + p[i + rank] - span) % s[i];
    }
    auto attrs = sharedAttrs(n, OpKind::ConvTranspose);
    attrs["output_padding"] = Attr::ofInts(outPad);
    c.setGrad(0, c.op(OpKind::ConvTranspose, {dy, w}, attrs));
  }
  if (c.needs(1)) {
    auto attrs = sharedAttrs(n, OpKind::ConvGradWeight);
    attrs["kernel_shape"] = kernelShape(w);
    c.setGrad(1, c.op(OpKind::ConvGradWeight, {x, dy}, attrs));
  }
  if (c.needs(2))
    c.setGrad(2, sumButChannels(c, dy));
}

// y[n, g*Og + o, q] = b[g*Og + o]
//     + sum_{c in g, i, k : i*s - pb + k*d = q} x[n, c, i] * w[c, o, k],
// g = c / Cg the group of input channel c, Cg = C / group, Og = O / group;
// w is [C, Og, kernel]. Every (i, k) pair reaches one q, so
//   dx[n, c, i] = sum_{o, k} dy[n, g*Og + o, i*s - pb + k*d] w[c, o, k]
//               = Conv(dy, w)[n, c, i] with the same strides, pads, dilations
//     and group (Conv reads w [C, Og, kernel] as C outputs over Og inputs per
//     group). Its output length is in + e, e = output_padding / s (integer
//     division): e = 0 when output_padding < s; otherwise (ONNX and PyTorch
//     also allow output_padding < dilation) the e extra positions lie past x
//     and are sliced off.
//   dw[c, o, k] = sum_{n, i} dy[n, g*Og + o, i*s - pb + k*d] x[n, c, i]
//     which is ConvGradWeight with the roles swapped: ConvGradWeight(X, DY)
//     = sum_{n, p} X[n, g'*Cg' + c', p*s - pb + k*d] DY[n, m, p] with
//     X = dy (Cg' = O / group = Og), DY = x (m = c, g' = c / Cg = g), c' = o.
//     So dw = ConvGradWeight(dy, x) {same attrs, kernel_shape of w}, exactly,
//     groups included; its shape [C, O / group, kernel] is w's. DY must have
//     Conv(dy)'s length in + e: x is padded with e zeros at the end, which
//     add nothing to the sum.
//   db[o] = sum_{n, q} dy[n, o, q]
void gradConvTranspose(GradContext &c) {
  const Node &n = c.node();
  Value *x = c.x(0), *w = c.x(1), *dy = c.dy(0);
  size_t rank = x->type.rank() - 2;
  std::vector<int64_t> s = spatialInts(n, "strides", rank, 1),
                       op = spatialInts(n, "output_padding", rank, 0);
  // [begins..., ends...] over all axes: e at the end of each spatial axis.
  std::vector<int64_t> extra(2 * (rank + 2), 0), axes, starts, ends;
  bool anyExtra = false;
  for (size_t i = 0; i < rank; ++i) {
    extra[rank + 2 + i + 2] = op[i] / s[i];
    anyExtra |= op[i] >= s[i];
    axes.push_back(static_cast<int64_t>(i + 2));
    starts.push_back(0);
    ends.push_back(x->type.dims[i + 2].value);
  }
  if (c.needs(0)) {
    Value *dx = c.op(OpKind::Conv, {dy, w}, sharedAttrs(n, OpKind::Conv));
    if (anyExtra)
      dx = c.op(OpKind::Slice, {dx},
                {{"axes", Attr::ofInts(axes)}, {"starts", Attr::ofInts(starts)},
                 {"ends", Attr::ofInts(ends)}});
    c.setGrad(0, dx);
  }
  if (c.needs(1)) {
    Value *xPadded = anyExtra ? c.op(OpKind::Pad, {x}, {{"pads", Attr::ofInts(extra)}}) : x;
    auto attrs = sharedAttrs(n, OpKind::ConvGradWeight);
    attrs["kernel_shape"] = kernelShape(w);
    c.setGrad(1, c.op(OpKind::ConvGradWeight, {dy, xPadded}, attrs));
  }
  if (c.needs(2))
    c.setGrad(2, sumButChannels(c, dy));
}

// y[p] = x[a(p)], a(p) the first maximum of window p in row-major order
// (padding never wins):  dx[q] = sum_{p : a(p) = q} dy[p] = MaxPoolGrad(x, dy)
void gradMaxPool(GradContext &c) {
  c.setGrad(0, c.op(OpKind::MaxPoolGrad, {c.x(0), c.dy(0)},
                    sharedAttrs(c.node(), OpKind::MaxPoolGrad)));
}

// y[p] = sum_{q in window p} x[q] / count(p), count as ceil_mode and
// count_include_pad define it:
//   dx[q] = sum_{p : q in window p} dy[p] / count(p) = AveragePoolGrad(x, dy)
void gradAveragePool(GradContext &c) {
  c.setGrad(0, c.op(OpKind::AveragePoolGrad, {c.x(0), c.dy(0)},
                    sharedAttrs(c.node(), OpKind::AveragePoolGrad)));
}

// y = scale * xhat + bias per channel, xhat = (x - mean) / sqrt(var + eps);
// sums run over the batch and spatial axes.
// training=1: mean and var are the batch's (biased) statistics of x, so x
//   reaches y through them too; with M values per channel
//     dx = scale / sqrt(var + eps) * (dy - sum(dy) / M - xhat * sum(dy * xhat) / M)
//     dscale = sum(dy * xhat), dbias = sum(dy)
//   = BatchNormGrad(x, scale, dy). The mean and var inputs only feed the
//   running statistics (outputs 1 and 2), which carry no gradient (PyTorch:
//   buffers): they get none.
// training=0: an affine map with fixed statistics:
//     dx = dy * scale / sqrt(var + eps)
//     dscale = sum(dy * xhat), dbias = sum(dy)
//     dmean = -sum(dy) * scale / sqrt(var + eps)
//     dvar = sum(dy * scale * (x - mean)) * -1/2 (var + eps)^(-3/2)
//          = -scale * sum(dy * xhat) / (2 (var + eps))
//   (mean and var are usually states, which are never active.)
void gradBatchNorm(GradContext &c) {
  const Node &n = c.node();
  Value *x = c.x(0), *scale = c.x(1), *dy = c.dy(0);
  if (!dy)
    return;
  if (n.getInt("training")) {
    if (!c.needs(0) && !c.needs(1) && !c.needs(2))
      return;
    std::vector<Value *> g = c.opMulti(OpKind::BatchNormGrad, {x, scale, dy},
                                       {{"epsilon", n.attr("epsilon")}}, 3);
    for (size_t i = 0; i < 3; ++i)
      if (c.needs(i))
        c.setGrad(i, g[i]);
    return;
  }
  Value *mean = c.x(3), *var = c.x(4);
  Value *varEps = c.add(var, c.scalar(n.getFloat("epsilon"), var));
  Value *invStd = c.div(c.scalar(1, var), c.sqrt(varEps));
  Value *sumDy = c.needs(2) || c.needs(3) ? sumButChannels(c, dy) : nullptr;
  Value *sumDyXhat = nullptr;
  if (c.needs(1) || c.needs(4)) {
    Value *xhat = c.mul(c.sub(x, perChannel(c, mean, x)), perChannel(c, invStd, x));
    sumDyXhat = sumButChannels(c, c.mul(dy, xhat));
  }
  Value *gain = c.mul(scale, invStd);
  if (c.needs(0))
    c.setGrad(0, c.mul(dy, perChannel(c, gain, x)));
  if (c.needs(1))
    c.setGrad(1, sumDyXhat);
  if (c.needs(2))
    c.setGrad(2, sumDy);
  if (c.needs(3))
    c.setGrad(3, c.neg(c.mul(sumDy, gain)));
  if (c.needs(4))
    c.setGrad(4, c.div(c.mul(scale, sumDyXhat),
                       c.mul(c.scalar(-2, var), varEps)));
}

// training=1: y = x * mask / (1 - ratio) with the forward node's keep mask
//   (output 1), so dx = dy * mask / (1 - ratio) = where(mask, dy / (1 - ratio), 0).
//   The mask must be the forward's own (the training pipeline gives every
//   Dropout its mask output); without it the rule latches an error.
// training=0: y = x, dx = dy.
void gradDropout(GradContext &c) {
  const Node &n = c.node();
  if (!n.getInt("training")) {
    c.setGrad(0, c.dy(0));
    return;
  }
  if (n.outputs.size() < 2) {
    c.fail("Dropout needs its mask output");
    return;
  }
  Value *mask = c.y(1);
  Value *scaled = c.mul(c.dy(0), c.scalar(1.0 / (1.0 - n.getFloat("ratio")), c.dy(0)));
  c.setGrad(0, c.where(mask, scaled, c.scalar(0, c.dy(0))));
}

// y_i = exp(x_i) / sum_j exp(x_j) along the axis; dy_j/dx_i = y_j (delta_ij - y_i):
//   dx_i = sum_j dy_j y_j (delta_ij - y_i) = y_i (dy_i - sum_j dy_j y_j)
void gradSoftmax(GradContext &c) {
  Value *y = c.y(0), *dy = c.dy(0);
  c.setGrad(0, c.mul(y, c.sub(dy, sumAxis(c, c.mul(dy, y)))));
}

// y_i = x_i - log sum_j exp(x_j); dy_j/dx_i = delta_ij - softmax_i = delta_ij - exp(y_i):
//   dx_i = dy_i - exp(y_i) sum_j dy_j
void gradLogSoftmax(GradContext &c) {
  Value *y = c.y(0), *dy = c.dy(0);
  c.setGrad(0, c.sub(dy, c.mul(c.op(OpKind::Exp, {y}), sumAxis(c, dy))));
}

} // namespace dlc
