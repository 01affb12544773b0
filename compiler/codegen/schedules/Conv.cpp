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
// recomputed per tile: 31 GFLOP/s instead of 158). Then row by row, every
// tile of dw (vectors of output channels x input channels, then taps when
// input channels are few) sums that row in registers and adds into dw: the
// row of dy and x stays in L1 across all tiles (summing whole images per
// tile streamed them from L2: 7x7 layers ran at 40% of oneDNN). Threads
// split the channel tiles within an image.
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

// The number of terms in each output's sum (64 per axis if not static).
int64_t reductionSize(const RDom &r) {
  int64_t n = 1;
  for (int i = 0; i < r.dimensions(); ++i) {
    Expr x = Internal::simplify(r[i].extent());
    const int64_t *e = Internal::as_const_int(x);
    n *= e ? *e : 64;
  }
  return n;
}

void scheduleDirect(ScheduleCtx &s, ConvFuncs f, const CpuTiling &ct) {
  int r = f.spatial, vw = ct.vw;
  const Dims &y = s.node.outputs[0]->type.dims; // n, o, q...
  int64_t O = staticOr(y[1], 64), W = staticOr(y[1 + r], 64);
  int64_t H = r >= 2 ? staticOr(y[r], 64) : 1;
  std::vector<TileDim> tile;
  // Vectors along output channels need a full vector of channels, the same
  // input channel in every lane (no groups), and a sum long enough to pay
  // for storing the tile transposed into NCHW.
  if (f.group == 1 && O >= vw && reductionSize(f.r) >= 32) {
    int vecs = std::min(ct.maxVecs, ceilDiv(O, vw));
    int pix = ct.convAcc / vecs;
    int pw = rowTile(W, pix);
    tile = {{r, vecs * vw}, {0, pw}};
    int ph = static_cast<int>(std::min<int64_t>(pix / pw, H));
    if (r >= 2 && ph > 1)
      tile.push_back({1, ph});
  } else {
    // Vectors along the output row (unit-stride input loads at stride 1),
    // rows of output channels (one broadcast weight each), then of output
    // rows: the layout for few channels, short sums and groups (each row
    // reads its own group's input channels).
    int vecs = W >= 2 * vw ? 2 : 1;
    int budget = ct.convAcc / vecs;
    int ro = static_cast<int>(std::min<int64_t>(O, budget));
    tile = {{0, vecs * vw}, {r, ro}};
    int rh = static_cast<int>(std::min<int64_t>(budget / ro, H));
    if (r >= 2 && rh > 1)
      tile.push_back({1, rh});
  }
  registerTile(s.out, f.prod, f.r, tile, vw, r + 1);
  f.x.compute_at(s.out, s.out.args()[r + 1]).vectorize(f.x.args()[0], vw, TailStrategy::GuardWithIf);
  f.w.compute_root().vectorize(f.w.args()[0], vw, TailStrategy::GuardWithIf);
}

void scheduleGradWeight(ScheduleCtx &s, ConvFuncs f, const CpuTiling &ct) {
  int r = f.spatial, vw = ct.vw;
  const Dims &dw = s.node.outputs[0]->type.dims; // o, c, k... (static)
  Func prod = f.prod, img = f.perRow;
  int nr = f.rn.dimensions();
  RVar row = f.rn[0], image = f.rn[nr - 1];
  if (f.group != 1) {
    // The input channel follows the output channel's group: no vector
    // along o. Sum per row at the channel's point, vectorized nowhere.
    prod.compute_root();
    img.compute_at(prod, row);
    f.x.compute_at(prod, image);
    return;
  }
  // dw's extent along Halide argument a: (k_{r-1}..k_0, c, o).
  auto extent = [&](int a) { return dw[a == r + 1 ? 0 : a == r ? 1 : 2 + (r - 1 - a)].value; };
  // The tile: vectors of output channels x rows of input channels, then of
  // taps along the row, then along the column (so few input channels, as in
  // a first layer, still fill the accumulators).
  int vecs = std::min(ct.maxVecs, ceilDiv(extent(r + 1), vw));
  int budget = ct.convAcc / vecs;
  std::vector<TileDim> tile{{r + 1, vecs * vw}};
  std::vector<int> rowArgs{r};
  for (int i = 0; i < r; ++i)
    rowArgs.push_back(i);
  for (int a : rowArgs) {
    int size = static_cast<int>(std::min<int64_t>(extent(a), budget));
    if (size > 1)
      tile.push_back({a, size});
    budget /= size;
  }
  auto tileSize = [&](int a) {
    for (const TileDim &d : tile)
      if (d.arg == a)
        return d.size;
    return 1;
  };

  // Loops: images in order; within one, threads split the outer tile loop
  // with the most tiles; then rows, and within a row every tile passes over
  // the same row of dy and x (in L1) with its accumulators in registers.
  int par = 0;
  for (int a = 1; a <= r + 1; ++a)
    if (ceilDiv(extent(a), tileSize(a)) > ceilDiv(extent(par), tileSize(par)))
      par = a;
  std::vector<Var> pa = prod.args(), ia = img.args(); // k..., c, o (, qo..., n)
  prod.compute_root();
  Stage u = prod.update();
  std::vector<VarOrRVar> order;
  std::vector<Var> outer = pa;
  for (const TileDim &d : tile) {
    Var vo(pa[d.arg].name() + "_o"), vi(pa[d.arg].name() + "_i");
    u.split(pa[d.arg], vo, vi, d.size, TailStrategy::GuardWithIf);
    order.push_back(vi);
    outer[d.arg] = vo;
  }
  for (int a = 0; a <= r + 1; ++a)
    if (a != par)
      order.push_back(outer[a]);
  for (int i = 0; i + 1 < nr; ++i)
    order.push_back(f.rn[i]);
  order.push_back(outer[par]);
  order.push_back(image);
  u.reorder(order);
  // dw itself o-innermost too, so adding a tile into it is a few vector
  // adds, not a scalar add per element on strided cache lines.
  std::vector<Var> dwStorage{pa[r + 1]};
  dwStorage.insert(dwStorage.end(), pa.begin(), pa.begin() + r + 1);
  prod.reorder_storage(dwStorage);
  u.vectorize(order.front().var, vw);
  if (ceilDiv(extent(par), tileSize(par)) >= 2)
    u.parallel(outer[par]);

  // One row's tile, in registers, at the innermost outer loop.
  img.compute_at(prod, order[tile.size()].var);
  for (const TileDim &d : tile)
    img.bound_extent(ia[d.arg], d.size);
  // o innermost in storage: each accumulator one contiguous vector.
  std::vector<Var> storage{ia[r + 1]};
  for (const Var &a : ia)
    if (a.name() != ia[r + 1].name())
      storage.push_back(a);
  img.reorder_storage(storage).vectorize(ia[r + 1], vw);
  Stage iu = img.update();
  std::vector<VarOrRVar> inner;
  for (const TileDim &d : tile)
    inner.push_back(ia[d.arg]);
  for (int i = 0; i < f.r.dimensions(); ++i)
    inner.push_back(f.r[i]);
  iu.reorder(inner).vectorize(ia[r + 1], vw).unroll(ia[r + 1]);
  for (size_t i = 1; i < tile.size(); ++i)
    iu.unroll(ia[tile[i].arg]);

  f.x.compute_at(prod, image).vectorize(f.x.args()[0], vw, TailStrategy::GuardWithIf);
  // The per-image transpose: vectors along o gather across channel planes;
  // tiling by vw x vw keeps each tile's planes in cache.
  std::vector<Var> da = f.dy.args(); // o, q..., n
  Var to("to"), tq("tq"), ti("ti"), tj("tj");
  f.dy.compute_at(prod, image)
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
      f.perRow.compute_at(f.prod, f.rn[0]);
    return;
  }
  CpuTiling ct = cpuTiling(s.target);
  if (f.kind == ConvFuncs::GradWeight)
    scheduleGradWeight(s, f, ct);
  else
    scheduleDirect(s, f, ct);
}

} // namespace dlc::codegen
