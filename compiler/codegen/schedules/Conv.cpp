// Schedule templates of the convolution family: forward (Conv), input
// gradient (ConvTranspose in its role as Conv's dx) and weight gradient
// (ConvGradWeight), any kernel size, stride, dilation; grouped and depthwise
// on their own tile shape.
//
// CPU, forward and input gradient (PERF-NOTES: ~90% of oneDNN's blocked
// layout with NCHW tensors): weights repacked output-channel-innermost once
// per call, the padded input staged once per image; a tile of up to 4
// vectors of output channels x a few output pixels (16 accumulators on
// AVX-512, 12 on AVX2), the reduction over (kx, ky, ci) around it. Grouped
// convs read a different input channel per output channel, so their vectors
// run along the output row instead, one channel per tile.
//
// CPU, weight gradient: per image, dy is transposed output-channel-innermost
// and x padded once, outside the per-tile loops (inside them they were
// recomputed per tile: 31 GFLOP/s instead of 158); each tile of vectors of
// output channels x input channels sums that image's positions in registers
// and adds into dw. Threads split the channel tiles within an image.
#include "codegen/schedules/Schedules.h"

#include <algorithm>

namespace dlc::codegen {

using namespace Halide;

namespace {

int64_t staticOr(const Dim &d, int64_t dflt) { return d.isStatic() ? d.value : dflt; }

int ceilDiv(int64_t a, int64_t b) { return static_cast<int>((a + b - 1) / b); }

// Pixels along the row of a tile: the largest divisor of the row length
// within budget (no tail tile), unless that wastes over half the budget.
int rowTile(int64_t width, int budget) {
  int best = 1;
  for (int p = 1; p <= budget; ++p)
    if (width % p == 0)
      best = p;
  return 2 * best >= budget ? best : std::min<int64_t>(budget, width);
}

void scheduleDirect(ScheduleCtx &s, ConvFuncs f, const CpuTiling &ct) {
  int r = f.spatial, vw = ct.vw;
  const Dims &y = s.node.outputs[0]->type.dims; // n, o, q...
  int64_t O = staticOr(y[1], 64), W = staticOr(y[1 + r], 64);
  int64_t H = r >= 2 ? staticOr(y[r], 64) : 1;
  std::vector<TileDim> tile;
  if (f.group == 1) {
    int vecs = std::min(ct.maxVecs, ceilDiv(O, vw));
    int pix = ct.convAcc / vecs;
    int pw = rowTile(W, pix);
    tile = {{r, vecs * vw}, {0, pw}};
    int ph = std::min<int64_t>(pix / pw, H);
    if (r >= 2 && ph > 1)
      tile.push_back({1, ph});
  } else {
    int vecs = W >= 2 * vw ? 2 : 1;
    tile = {{0, vecs * vw}};
    int rows = std::min<int64_t>(ct.convAcc / vecs, H);
    if (r >= 2 && rows > 1)
      tile.push_back({1, rows});
  }
  registerTile(s.out, f.prod, f.r, tile, vw, r + 1);
  f.x.compute_at(s.out, s.out.args()[r + 1]).vectorize(f.x.args()[0], vw, TailStrategy::GuardWithIf);
  f.w.compute_root().vectorize(f.w.args()[0], vw, TailStrategy::GuardWithIf);
}

void scheduleGradWeight(ScheduleCtx &s, ConvFuncs f, const CpuTiling &ct) {
  int r = f.spatial, vw = ct.vw;
  const Dims &dw = s.node.outputs[0]->type.dims; // o, c, k... (static)
  Func prod = f.prod, img = f.perImage;
  if (f.group != 1) {
    // The input channel follows the output channel's group: no vector
    // along o. Sum per image at the channel's point, vectorized nowhere.
    prod.compute_root();
    img.compute_at(prod, f.rn);
    f.x.compute_at(prod, f.rn);
    return;
  }
  int vecs = std::min(ct.maxVecs, ceilDiv(dw[0].value, vw));
  int To = vecs * vw;
  int Tc = static_cast<int>(std::min<int64_t>(ct.convAcc / vecs, dw[1].value));
  std::vector<Var> pa = prod.args(); // k..., c, o
  Var o = pa[r + 1], c = pa[r], oo("oo"), oi("oi"), co("co"), cI("ci");
  prod.compute_root();
  Stage u = prod.update();
  u.split(o, oo, oi, To, TailStrategy::GuardWithIf).split(c, co, cI, Tc, TailStrategy::GuardWithIf);
  std::vector<VarOrRVar> order{oi, cI};
  for (int i = 0; i < r; ++i)
    order.push_back(pa[i]);
  order.insert(order.end(), {co, oo, f.rn});
  u.reorder(order);
  u.parallel(ceilDiv(dw[1].value, Tc) >= 2 ? co : oo);

  std::vector<Var> ia = img.args(); // k..., c, o, n
  img.compute_at(prod, pa[0]).bound_extent(ia[r + 1], To).bound_extent(ia[r], Tc);
  // o innermost in storage: each accumulator one contiguous vector.
  std::vector<Var> storage{ia[r + 1], ia[r]};
  storage.insert(storage.end(), ia.begin(), ia.begin() + r);
  storage.push_back(ia[r + 2]);
  img.reorder_storage(storage).vectorize(ia[r + 1], vw);
  Stage iu = img.update();
  std::vector<VarOrRVar> inner{ia[r + 1], ia[r]};
  for (int i = 0; i < f.r.dimensions(); ++i)
    inner.push_back(f.r[i]);
  iu.reorder(inner).vectorize(ia[r + 1], vw).unroll(ia[r + 1]).unroll(ia[r]);

  f.x.compute_at(prod, f.rn).vectorize(f.x.args()[0], vw, TailStrategy::GuardWithIf);
  // The per-image transpose: vectors along o gather across channel planes;
  // tiling by vw x vw keeps each tile's planes in cache.
  std::vector<Var> da = f.dy.args(); // o, q..., n
  Var to("to"), tq("tq"), ti("ti"), tj("tj");
  f.dy.compute_at(prod, f.rn)
      .tile(da[0], da[1], to, tq, ti, tj, vw, vw, TailStrategy::GuardWithIf)
      .vectorize(ti)
      .unroll(tj);
}

} // namespace

void scheduleConv(ScheduleCtx &s, ConvFuncs f) {
  boundStaticOutput(s);
  if (s.target.has_gpu_feature()) {
    gpuSchedule(s.out, f.prod);
    if (f.kind == ConvFuncs::GradWeight)
      f.perImage.compute_at(f.prod, f.rn);
    return;
  }
  CpuTiling ct = cpuTiling(s.target);
  if (f.kind == ConvFuncs::GradWeight)
    scheduleGradWeight(s, f, ct);
  else
    scheduleDirect(s, f, ct);
}

} // namespace dlc::codegen
