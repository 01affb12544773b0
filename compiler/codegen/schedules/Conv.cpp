// Schedule templates of the convolution family: forward (Conv), input
// gradient (ConvTranspose in its role as Conv's dx) and weight gradient
// (ConvGradWeight), any kernel size, stride, dilation; grouped and depthwise
// on their own tile shape.
//
// CPU, forward and input gradient (PERF-NOTES: ~90% of oneDNN's blocked
// layout with NCHW tensors): weights repacked output-channel-innermost once
// per call, the padded input staged once per image; a tile of up to 4
// vectors of output channels x a few output pixels (16 accumulators on
// AVX-512, 8 on AVX2), the reduction over (kx, ky, ci) around it. Grouped
// convs read a different input channel per output channel, so their vectors
// run along the output row instead, one channel per tile. A strided input
// gradient is computed per output phase (ops/Conv.cpp), each phase a dense
// stride-1 sum with such a tile.
//
// CPU, weight gradient: two templates, vectors along output channels (most
// layers) or along output rows (1-3 input channels per group, and groups);
// see rowVectors.

#include "codegen/schedules/Schedules.h"

#include <algorithm>
#include <functional>

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

// Whether a forward or transpose sum of `terms` terms per output, with O
// output channels, takes its vectors along output channels. They need a full
// vector of channels, the same input channel in every lane (no groups), and a
// sum long enough to pay for storing the tile transposed into NCHW.
bool channelTile(int64_t group, int64_t O, int64_t terms, int vw) {
  return group == 1 && O >= vw && terms >= 32;
}

// The register tile of a forward or transpose sum over `red` whose output
// has O channels and rows of W (H rows; r spatial axes).
std::vector<TileDim> directTile(const ConvFuncs &f, const RDom &red, int64_t O, int64_t W,
                                int64_t H, const CpuTiling &ct) {
  int r = f.spatial, vw = ct.vw;
  std::vector<TileDim> tile;
  if (channelTile(f.group, O, reductionSize(red), vw)) {
    // The most vectors of channels whose share of pixels tiles the row
    // exactly: a 7-wide row (resnet.l3) takes 2 vectors x 7 pixels rather
    // than 4 x 4, which computed 8 columns for 7 and ran the tail tile
    // guarded (resnet.l3.conv2 dx 0.80 -> 0.92 of oneDNN).
    int vecs = std::min(ct.maxVecs, ceilDiv(O, vw));
    for (int v = vecs; v >= 1; --v)
      if (W % rowTile(W, ct.convAcc / v) == 0) {
        vecs = v;
        break;
      }
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
  return tile;
}

void scheduleDirect(ScheduleCtx &s, ConvFuncs f, const CpuTiling &ct) {
  int r = f.spatial, vw = ct.vw;
  const Dims &y = s.node.outputs[0]->type.dims; // n, o, q...
  int64_t O = staticOr(y[1], 64), W = staticOr(y[1 + r], 64);
  int64_t H = r >= 2 ? staticOr(y[r], 64) : 1;
  std::vector<Var> oa = s.out.args();
  if (f.phases.empty()) {
    registerTile(s.out, f.prod, f.r, directTile(f, f.r, O, W, H, ct), vw, r + 1);
  } else {
    // Per image, each phase's sum (a dense stride-1 transpose on 1/s of
    // the rows and columns) in register tiles; then the output interleaves
    // them. Its loops along strided axes are split by the stride and the
    // phase loop unrolled, so each unrolled copy reads one phase at
    // consecutive positions (vector loads, not gathers) and the copies'
    // stores merge into interleaved vector stores.
    std::vector<int64_t> st = s.node.getInts("strides");
    auto stride = [&](int a) { return st.empty() ? 1 : static_cast<int>(st[r - 1 - a]); };
    std::vector<Func> phaseTiles;
    for (size_t i = 0; i < f.phases.size(); ++i) {
      Func t = f.phases[i].in();
      int64_t Wp = (W + stride(0) - 1) / stride(0), Hp = r >= 2 ? (H + stride(1) - 1) / stride(1) : 1;
      registerTile(t, f.phases[i], f.phaseR[i], directTile(f, f.phaseR[i], O, Wp, Hp, ct), vw, -1,
                   true);
      phaseTiles.push_back(t);
    }
    // Loops: the vector along the row innermost, the unrolled phases
    // around it, then the rest.
    std::vector<VarOrRVar> inner, phases, outer;
    for (int a = 0; a < r; ++a) {
      Var v = oa[a];
      if (stride(a) > 1) {
        Var pi(oa[a].name() + "_m");
        v = Var(oa[a].name() + "_q");
        s.out.split(oa[a], v, pi, stride(a), TailStrategy::GuardWithIf).unroll(pi);
        phases.push_back(pi);
      }
      (a == 0 ? inner : outer).push_back(v);
    }
    s.out.vectorize(inner.front().var, vw, TailStrategy::GuardWithIf);
    std::vector<VarOrRVar> order = inner;
    order.insert(order.end(), phases.begin(), phases.end());
    order.push_back(oa[r]);
    order.insert(order.end(), outer.begin(), outer.end());
    order.push_back(oa[r + 1]);
    s.out.reorder(order).parallel(oa[r + 1]);
    VarOrRVar at = outer.empty() ? VarOrRVar(oa[r + 1]) : outer.back();
    for (Func t : phaseTiles)
      t.compute_at(LoopLevel(s.out, at));
  }
  stageAt(f.x, s.out, oa[r + 1], vw);
  f.w.compute_root().vectorize(f.w.args()[0], vw, TailStrategy::GuardWithIf);
}

// dw's extent along Halide argument a of prod: (k_{r-1}..k_0, c, o).
int64_t dwExtent(const Dims &dw, int r, int a) {
  return dw[a == r + 1 ? 0 : a == r ? 1 : 2 + (r - 1 - a)].value;
}

// Whether a weight gradient takes its vectors along output rows (the
// reduction) rather than along output channels. Channel vectors need a few
// input channels to pay for their x broadcasts and the transpose of dy
// (first layers, 1 input channel: 0.34-0.44x oneDNN; row vectors 0.7-1.8x),
// and one input channel in every lane (no groups). Row vectors waste the
// lanes past the row's end: take them where that is under a quarter, and
// for groups always (the alternative is scalar). With 16 input channels
// (resnet.l1) channel vectors measured faster (0.65x vs 0.53x).
bool rowVectors(const Node &n, const Target &t) {
  if (t.has_gpu_feature())
    return false;
  const Dims &dy = n.inputs[1]->type.dims, &dw = n.outputs[0]->type.dims;
  if (!dy.back().isStatic())
    return false;
  int vw = cpuTiling(t).vw;
  int64_t W = dy.back().value, padded = (W + vw - 1) / vw * vw;
  if (n.getInt("group") != 1)
    return true;
  return dw[1].value < 4 && 4 * W >= 3 * padded;
}

// Threads split the batch, not dw: one layer's dw (a few thousand to a few
// hundred thousand weights) has too few tiles to keep threads busy within an
// image (threads over the channel tiles of an image: 0.40-0.87 of oneDNN on
// 2 threads, 0.72-0.92 on 1). The images are cut into chunks, each summed
// into its own partial dw, part(k..., c, o, chunk), in parallel; dw then adds
// the partials in chunk order. The chunks depend on the batch alone (8
// chunks of ceil(N / 8) images), never on the thread count: dw is the same
// sum in the same order at any thread count (tests/lit/dlrun/threads.test).
// 8 chunks keep 2, 4 or 8 threads evenly busy; 16 measured the same at 1
// thread and up to 7% slower at 2 on 7x7 layers (the partials' zeroing and
// sum: 16 x dw through L3 per call). Partials past kPartialBytes in all (a
// large dw, already many tiles) take fewer chunks, none below 2: then
// threads split the tiles within an image.
constexpr int kBatchChunks = 8;
constexpr int64_t kPartialBytes = 16 << 20;

struct BatchSplit {
  Func acc;       // the Func summing images: part, or `sum` if the batch is whole
  RVar image;     // acc's loop over images (within a chunk)
  Var chunk;      // part's chunk argument (its last)
  RVar chunks;    // sum's loop over the chunks, adding the partials
  bool split = false;
};

// Splits `sum`, whose update sums over the images `image` (prod, or the
// lanes of row vectors), into partials; `bytesPerWeight`: a partial's bytes
// per weight of dw.
BatchSplit splitBatch(const ScheduleCtx &s, Func sum, RVar image, int64_t bytesPerWeight) {
  BatchSplit b{sum, image, Var("chunk"), RVar("n_chunk")};
  int64_t weights = 1;
  for (const Dim &d : s.node.outputs[0]->type.dims)
    weights *= d.value;
  int64_t chunks = std::min<int64_t>(kBatchChunks, kPartialBytes / (weights * bytesPerWeight));
  if (chunks < 2 || staticOr(s.node.inputs[0]->type.dims[0], 2) < 2)
    return b;
  // ceil(N / chunks) images each (N is symbolic in a model's kernels).
  Expr per = (image.extent() + int(chunks - 1)) / int(chunks);
  RVar inner("n_image");
  sum.update().split(b.image, b.chunks, inner, per, TailStrategy::GuardWithIf);
  b.acc = sum.update().rfactor(b.chunks, b.chunk);
  b.image = inner;
  b.split = true;
  return b;
}

// The partials' sum, in chunk order per weight, vectors along argument `arg`
// of `sum` (its storage's innermost axis).
void sumChunks(const BatchSplit &b, Func sum, int arg, int vw) {
  if (!b.split)
    return;
  Var v = sum.args()[arg];
  sum.update().reorder(v, b.chunks).vectorize(v, vw, TailStrategy::GuardWithIf);
}

// The channel-vector tile of dw (static o, c, k...; r spatial axes):
// vectors of output channels x rows of input channels, then of taps along
// the row, then along the column (so few input channels, as in a first
// layer, still fill the accumulators).
std::vector<TileDim> channelVectorTile(const Dims &dw, int r, const CpuTiling &ct) {
  auto extent = [&](int a) { return dwExtent(dw, r, a); };
  int vecs = std::min(ct.maxVecs, ceilDiv(extent(r + 1), ct.vw));
  int budget = ct.convAcc / vecs;
  std::vector<TileDim> tile{{r + 1, vecs * ct.vw}};
  std::vector<int> rowArgs{r};
  for (int i = 0; i < r; ++i)
    rowArgs.push_back(i);
  for (int a : rowArgs) {
    int size = static_cast<int>(std::min<int64_t>(extent(a), budget));
    if (size > 1)
      tile.push_back({a, size});
    budget /= size;
  }
  return tile;
}

// Channel vectors: first per image, dy is transposed output-channel-innermost
// and x padded once (unless read in place: ConvFuncs::xInPlace), outside the
// per-tile loops (inside them they were recomputed per tile: 31 GFLOP/s
// instead of 158). Then row by row, every
// tile of dw (vectors of output channels x input channels, then taps when
// input channels are few) sums that row in registers and adds into dw: the
// row of dy and x stays in L1 across all tiles (summing whole images per
// tile streamed them from L2: 7x7 layers ran at 40% of oneDNN). Threads
// split the batch (splitBatch).
void scheduleChannelVectors(ScheduleCtx &s, ConvFuncs f, const CpuTiling &ct) {
  int r = f.spatial, vw = ct.vw;
  const Dims &dw = s.node.outputs[0]->type.dims; // o, c, k... (static)
  // prod: the Func summing images (a chunk's partial dw where the batch is
  // split).
  BatchSplit b = splitBatch(s, f.prod, f.r[f.r.dimensions() - 1], sizeof(float));
  Func prod = b.acc;
  int nr = f.r.dimensions();
  std::vector<RVar> rn; // the rows but the one vectors run along, images
  for (int i = 1; i + 1 < nr; ++i)
    rn.push_back(f.r[i]);
  RVar image = b.image;
  rn.push_back(image);
  // The per-row sum: img(k..., c, o, (chunk,) q_{r-2}..q_0, n) over the row r[0].
  std::vector<std::pair<RVar, Var>> keep;
  for (size_t i = 0; i < rn.size(); ++i)
    keep.push_back({rn[i], Var("row" + std::to_string(i + 1))});
  Func img = prod.update().rfactor(keep);
  auto extent = [&](int a) { return dwExtent(dw, r, a); };
  std::vector<TileDim> tile = channelVectorTile(dw, r, ct);
  auto tileSize = [&](int a) {
    for (const TileDim &d : tile)
      if (d.arg == a)
        return d.size;
    return 1;
  };

  // Loops: the batch's chunks across threads (else, within an image, the
  // outer tile loop with the most tiles); images in order; then rows, and
  // within a row every tile passes over the same row of dy and x (in L1)
  // with its accumulators in registers.
  int par = 0;
  for (int a = 1; a <= r + 1; ++a)
    if (ceilDiv(extent(a), tileSize(a)) > ceilDiv(extent(par), tileSize(par)))
      par = a;
  std::vector<Var> pa = prod.args(), ia = img.args(); // k..., c, o (, qo..., n)
  prod.compute_root();
  f.prod.compute_root();
  if (b.split) // each thread zeroes its own partials
    prod.vectorize(pa[r + 1], vw, TailStrategy::GuardWithIf).parallel(b.chunk);
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
  for (size_t i = 0; i + 1 < rn.size(); ++i)
    order.push_back(rn[i]);
  order.push_back(outer[par]);
  order.push_back(image);
  if (b.split)
    order.push_back(b.chunk);
  u.reorder(order);
  // dw itself o-innermost too, so adding a tile into it is a few vector
  // adds, not a scalar add per element on strided cache lines.
  std::vector<Var> dwStorage{pa[r + 1]};
  dwStorage.insert(dwStorage.end(), pa.begin(), pa.begin() + r + 1);
  f.prod.reorder_storage(dwStorage);
  if (b.split) {
    dwStorage.push_back(b.chunk);
    prod.reorder_storage(dwStorage);
  }
  u.vectorize(order.front().var, vw);
  if (b.split)
    u.parallel(b.chunk);
  else if (ceilDiv(extent(par), tileSize(par)) >= 2)
    u.parallel(outer[par]);

  // One row's tile, in registers, at the innermost outer loop.
  img.compute_at(prod, order[tile.size()].var);
  for (const TileDim &d : tile)
    img.bound_extent(ia[d.arg], d.size);
  // One row of one image. Said outright: with a symbolic batch split into
  // chunks, bounds inference cannot prove the guarded image loop reads one
  // image, and a loop of 0 or 1 trips around every tile row kept the
  // accumulators in memory (LeNet-5's conv2 dw 0.16 -> 0.77 ms at batch N).
  for (auto &[rv, v] : keep)
    img.bound_extent(v, 1);
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
  inner.push_back(f.r[0]);
  iu.reorder(inner).vectorize(ia[r + 1], vw).unroll(ia[r + 1]);
  for (size_t i = 1; i < tile.size(); ++i)
    iu.unroll(ia[tile[i].arg]);

  if (!f.xInPlace) {
    stageAt(f.x, prod, image, vw);
    f.x.bound_extent(f.x.args().back(), 1);
  }
  // The per-image transpose: vectors along o gather across channel planes;
  // tiling by vw x vw keeps each tile's planes in cache.
  std::vector<Var> da = f.dy.args(); // o, q..., n
  Var to("to"), tq("tq"), ti("ti"), tj("tj");
  f.dy.bound_extent(da.back(), 1);
  f.dy.compute_at(prod, image)
      .tile(da[0], da[1], to, tq, ti, tj, vw, vw, TailStrategy::GuardWithIf)
      .vectorize(ti)
      .unroll(tj);
  sumChunks(b, f.prod, r + 1, vw);
}

// Row vectors: each lane sums its own column of output positions, lanes
// added at the end (rfactor over the lane; the lowering split rows into
// lanes and chunks). Per image, a tile of dw (output channels x input
// channels x taps) keeps one vector of partial sums per weight in registers
// over all of the image's rows: per vector of dy positions, one dy load per
// output channel and one (unaligned) x load per input channel and tap.
// Threads split the batch (splitBatch).
void scheduleRowVectors(ScheduleCtx &s, ConvFuncs f, const CpuTiling &ct) {
  int r = f.spatial, vw = ct.vw, nr = f.r.dimensions();
  const Dims &dw = s.node.outputs[0]->type.dims;
  auto extent = [&](int a) { return dwExtent(dw, r, a); };
  // The tile: sizes dividing dw's extents (no tails), accumulators that
  // leave registers for the dy vectors, an x vector and spare, and the
  // fewest loads per FMA, a dy load counting 3 (a tile's first pass over dy
  // streams it from L2 or memory): for one input channel and 3x3, 2 output
  // channels x 9 taps measured 147 GFLOP/s, 4 x 3 taps 141 (1 per dy load).
  // Tile axes: o (arg r + 1), c (r), the taps along the row (0) and along
  // the column (1).
  std::vector<int> axes{r + 1, r, 0};
  if (r >= 2)
    axes.push_back(1);
  int regs = vw == 16 ? 32 : 16;
  std::vector<int> best(axes.size(), 1);
  double bestScore = 0;
  std::vector<int> sz(axes.size(), 1);
  std::function<void(size_t)> search = [&](size_t i) {
    if (i == axes.size()) {
      int acc = 1;
      for (int v : sz)
        acc *= v;
      int xloads = acc / sz[0] * (f.group == 1 ? 1 : sz[0]);
      if (acc + sz[0] + 4 > regs)
        return;
      double score = double(acc) / double(3 * sz[0] + xloads) + 1e-3 * acc;
      if (score > bestScore) {
        bestScore = score;
        best = sz;
      }
      return;
    }
    for (int v = 1; v <= std::min<int64_t>(extent(axes[i]), regs); ++v)
      if (extent(axes[i]) % v == 0) {
        sz[i] = v;
        search(i + 1);
      }
    sz[i] = 1;
  };
  search(0);

  Func prod = f.prod;
  Var lane("lane"), vn("vn");
  RVar chunk = f.r[1];
  prod.compute_root();
  Func sum = prod.update().rfactor(f.r[0], lane); // sum(k..., c, o, lane)
  // lanes: the Func summing images, sum or its partials (the batch split
  // after the lanes: their sum runs once, not per chunk).
  BatchSplit b = splitBatch(s, sum, f.r[nr - 1], vw * sizeof(float));
  Func lanes = b.acc;                             // lanes(k..., c, o, lane (, chunk))
  Func acc = lanes.update().rfactor(b.image, vn); // one image's sums
  // rfactor appends its new variables: prod's arguments keep their indices.
  std::vector<Var> la = lanes.args(), aa = acc.args();
  // Lanes innermost in storage: each accumulator one contiguous vector.
  auto laneFirst = [&](std::vector<Var> a) {
    a.insert(a.begin(), lane);
    a.erase(std::find_if(a.begin() + 1, a.end(), [&](const Var &v) { return v.same_as(lane); }));
    return a;
  };
  lanes.compute_root().reorder_storage(laneFirst(la)).vectorize(lane);
  if (b.split) {
    lanes.parallel(b.chunk); // each thread zeroes its own partials
    sum.compute_root().reorder_storage(laneFirst(sum.args())).vectorize(lane);
    sumChunks(b, sum, r + 2, vw);
  }
  acc.reorder_storage(laneFirst(aa));
  Stage lu = lanes.update();
  std::vector<VarOrRVar> order{lane}, outer;
  for (size_t i = 0; i < axes.size(); ++i) {
    Var v = la[axes[i]];
    if (best[i] == 1) {
      outer.push_back(v);
      continue;
    }
    Var vo(v.name() + "_o"), vi(v.name() + "_i");
    lu.split(v, vo, vi, best[i]);
    order.push_back(vi);
    outer.push_back(vo);
  }
  for (int a = 2; a < r; ++a) // taps along a third spatial axis
    outer.push_back(la[a]);
  // Output-channel tiles outermost (their rows of dy stay in L1 while the
  // input channels and taps pass over them), the taps innermost.
  std::reverse(outer.begin(), outer.end());
  order.insert(order.end(), outer.begin(), outer.end());
  order.push_back(b.image);
  if (b.split)
    order.push_back(b.chunk);
  lu.reorder(order).vectorize(lane);
  // Threads split the batch's chunks (else the output-channel tiles within
  // an image).
  if (b.split)
    lu.parallel(b.chunk);
  else if (extent(r + 1) / best[0] >= 2)
    lu.parallel(outer.back());
  // One image (see scheduleChannelVectors: a symbolic batch's chunks).
  acc.compute_at(lanes, outer.front().var).bound_extent(lane, vw).bound_extent(vn, 1);
  for (size_t i = 0; i < axes.size(); ++i)
    acc.bound_extent(aa[axes[i]], best[i]);
  acc.vectorize(lane);
  Stage au = acc.update();
  std::vector<VarOrRVar> inner{lane};
  for (size_t i = 0; i < axes.size(); ++i)
    inner.push_back(aa[axes[i]]);
  for (int i = 1; i + 1 < nr; ++i) // the row's chunks, the other rows
    inner.push_back(f.r[i]);
  au.reorder(inner).vectorize(lane);
  for (size_t i = 0; i < axes.size(); ++i)
    au.unroll(aa[axes[i]]);
  // Per image: x padded. dy is read in place, the chunks of a row unrolled
  // (the last one's mask a constant).
  stageAt(f.x, lanes, b.image, vw);
  f.x.bound_extent(f.x.args().back(), 1);
  au.unroll(chunk);
}

} // namespace

int64_t gradWeightRowMultiple(const Node &n, const Target &t) {
  return rowVectors(n, t) ? cpuTiling(t).vw : 1;
}

// Channel vectors whose tile holds no taps and whole rows of input channels
// read each x exactly where a term needs it: no tile reaches past x's
// channels or a tap's row, so x needs no staging (ConvFuncs::xInPlace).
bool gradWeightReadsXInPlace(const Node &n, const Target &t) {
  if (t.has_gpu_feature() || rowVectors(n, t))
    return false;
  const Dims &dw = n.outputs[0]->type.dims;
  int r = static_cast<int>(dw.size()) - 2;
  for (const TileDim &d : channelVectorTile(dw, r, cpuTiling(t)))
    if (d.arg < r || (d.arg == r && dw[1].value % d.size != 0))
      return false;
  return true;
}

bool convTakesEpilogue(const Node &n, const Target &t) {
  if (n.op == OpKind::ConvGradWeight || t.has_gpu_feature())
    return true;
  const Dims &x = n.inputs[0]->type.dims, &w = n.inputs[1]->type.dims;
  int r = static_cast<int>(x.size()) - 2;
  int64_t group = n.getInt("group"), terms = staticOr(x[1], 64) / std::max<int64_t>(group, 1);
  std::vector<int64_t> st = n.getInts("strides"), dl = n.getInts("dilations");
  for (int i = 0; i < r; ++i) {
    terms *= staticOr(w[2 + i], 3);
    // A strided transpose is split by output phase (scheduleDirect): its
    // output loop interleaves the phases.
    bool strided = !st.empty() && st[i] > 1, dilated = !dl.empty() && dl[i] > 1;
    if (n.op == OpKind::ConvTranspose && strided && !dilated)
      return false;
  }
  return !channelTile(group, staticOr(n.outputs[0]->type.dims[1], 64), terms, cpuTiling(t).vw);
}

void scheduleConv(ScheduleCtx &s, ConvFuncs f) {
  boundStaticOutput(s);
  if (s.target.has_gpu_feature()) {
    gpuSchedule(s.out, f.prod);
    return;
  }
  CpuTiling ct = cpuTiling(s.target);
  if (f.kind == ConvFuncs::GradWeight && rowVectors(s.node, s.target))
    scheduleRowVectors(s, f, ct);
  else if (f.kind == ConvFuncs::GradWeight)
    scheduleChannelVectors(s, f, ct);
  else
    scheduleDirect(s, f, ct);
  if (f.kind == ConvFuncs::GradWeight && s.epilogue)
    vectorizeRootOutput(s, ct.vw);
}

} // namespace dlc::codegen
