// Reference kernels of the data-movement gradient ops: PadGrad and GatherGrad.
//
// Both are the transpose of their forward op, and both are computed from it:
// running the forward kernel on the flat indices of x (an i64 tensor shaped
// like x holding 0, 1, 2, ...) tells, for every cell of y, which cell of x it
// was copied from. The gradient then adds each dy cell onto that x cell. So
// forward and backward share one definition of every pad mode, of negative
// and repeated gather indices, and of the index range check.
#include "runtime/reference/Kernels.h"

namespace dlc::ref {

namespace {

// dx[src[o]] += dy[o] for every cell o of dy, where src is `forward` (a Pad or
// Gather node) run on x's flat indices with `extra` as further inputs. Cells
// the forward op filled with a constant (src = -1) belong to no x cell.
Status scatterThroughForward(Node &forward, Status (*run)(KernelArgs &),
                             const Tensor &x, std::vector<const Tensor *> extra,
                             const Tensor &dy, Tensor &dx) {
  Tensor flat(DType::I64, x.shape());
  for (int64_t i = 0; i < flat.numel(); ++i)
    flat.data<int64_t>()[i] = i;
  std::vector<Tensor> src{Tensor(DType::I64, dy.shape())};
  extra.insert(extra.begin(), &flat);
  KernelArgs fa{forward, extra, src};
  DLC_CHECK(run(fa));
  const int64_t *from = src[0].data<int64_t>();
  if (dlrt::isFloat(dx.dtype())) {
    std::vector<double> g = load<double>(dy), acc(dx.numel(), 0.0);
    for (int64_t o = 0; o < dy.numel(); ++o)
      if (from[o] >= 0)
        acc[from[o]] += g[o];
    store(acc, dx);
  } else {
    std::vector<int64_t> g = load<int64_t>(dy), acc(dx.numel(), 0);
    for (int64_t o = 0; o < dy.numel(); ++o)
      if (from[o] >= 0)
        acc[from[o]] = wrapAdd(acc[from[o]], g[o]);
    store(acc, dx);
  }
  return Status::ok();
}

// A scratch forward node `op` with the gradient node's name and `attrs`.
Node forwardNode(const Node &grad, OpKind op, std::map<std::string, Attr> attrs) {
  Node f;
  f.op = op;
  f.name = grad.name;
  f.attrs = std::move(attrs);
  return f;
}

} // namespace

// PadGrad(x, dy): dy cells copied from x (the interior, and in reflect, edge
// and wrap mode the border copies) add onto their x cell; constant padding
// (source -1) adds nothing, cells cropped by negative pads get 0.
Status runPadGrad(KernelArgs &a) {
  const Node &n = a.node;
  Node pad = forwardNode(n, OpKind::Pad,
                         {{"mode", n.attr("mode")}, {"pads", n.attr("pads")},
                          {"value", Attr::ofFloat(-1)}});
  return scatterThroughForward(pad, runPad, a.in(0), {}, a.in(1), a.outs[0]);
}

// GatherGrad(x, indices, dy): dy scatter-adds into zeros like x along axis;
// negative indices count from the end, repeated ones accumulate, out-of-range
// ones are the same error as in Gather.
Status runGatherGrad(KernelArgs &a) {
  const Node &n = a.node;
  Node gather = forwardNode(n, OpKind::Gather, {{"axis", n.attr("axis")}});
  return scatterThroughForward(gather, runGather, a.in(0), {&a.in(1)}, a.in(2),
                               a.outs[0]);
}

} // namespace dlc::ref
