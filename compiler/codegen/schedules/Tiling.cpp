// Schedule pieces shared by the heavy op templates: per-ISA tile budgets, the
// register tile (PERF-NOTES: what reached ~90% of peak on this machine), a
// plain fallback, and the CUDA thread-per-output schedule.
#include "codegen/schedules/Schedules.h"

#include <algorithm>

namespace dlc::codegen {

using namespace Halide;

CpuTiling cpuTiling(const Target &t) {
  // AVX-512: 32 zmm. Matmul holds 3 x 8 = 24 accumulators plus 3 B vectors
  // and a broadcast A (4 x 6 and 2 x 12 fit as well); conv tiles of 16 (4
  // vectors x 4 pixels) measured fastest, 24 spilled (the x broadcasts and
  // weight vectors need more registers than matmul's).
  if (t.has_feature(Target::AVX512))
    return {16, 16, 4, {{3, 8}, {4, 6}, {2, 12}}};
  // AVX2: 16 ymm; the 24-accumulator matmul tile spilled (81 GFLOP/s), ~12
  // fit. Conv tiles of 12 (2 vectors x 6 pixels) spilled too: LLVM unrolls
  // the taps along the row and keeps the broadcasts they share live.
  // 8 accumulators (2 x 4): resnet.l3.conv2 fwd 29 -> 98 GFLOP/s, vgg.conv3
  // dx 44 -> 109, the PERF-NOTES layer's fwd and dw 110 and 97 -> 109 and
  // 107 (AVX2's peak here is ~125).
  if (t.has_feature(Target::AVX2))
    return {8, 8, 2, {{2, 6}, {3, 4}, {1, 12}}};
  return {4, 8, 2, {{2, 4}, {1, 8}}};
}

void boundStaticOutput(ScheduleCtx &s) {
  const Dims &d = s.node.outputs[0]->type.dims;
  // The first buffer of a Tuple (an epilogue writing several outputs):
  // Halide gives the others its bounds.
  Halide::OutputImageParam o = s.out.output_buffers().front();
  for (size_t a = 0; a < d.size(); ++a)
    if (d[a].isStatic())
      o.dim(static_cast<int>(d.size() - 1 - a)).set_bounds(0, static_cast<int>(d[a].value));
}

void registerTile(Func out, Func prod, const RDom &red, const std::vector<TileDim> &tile,
                  int vw, int parallelArg, bool transposeStore) {
  std::vector<Var> oa = out.args(), pa = prod.args();
  std::vector<TileDim> byArg = tile;
  std::sort(byArg.begin(), byArg.end(),
            [](const TileDim &a, const TileDim &b) { return a.arg < b.arg; });
  // Loop order: the tile's axes innermost, then every other loop (outer tile
  // loops and untiled axes) in argument order, so that `prod`, computed at
  // the innermost of those, covers exactly one tile.
  std::vector<VarOrRVar> order;
  std::vector<Var> outer(oa.begin(), oa.end());
  for (const TileDim &d : byArg) {
    Var vo(oa[d.arg].name() + "_o"), vi(oa[d.arg].name() + "_i");
    out.split(oa[d.arg], vo, vi, d.size, TailStrategy::GuardWithIf);
    order.push_back(vi);
    outer[d.arg] = vo;
  }
  order.insert(order.end(), outer.begin(), outer.end());
  out.reorder(order);
  // Stores along the output's innermost axis: a (predicated) vector when the
  // tile is wide enough, else scalar stores (amortized over the tile's sum).
  const TileDim &first = byArg.front();
  size_t vecAt = std::find_if(byArg.begin(), byArg.end(),
                              [&](const TileDim &d) { return d.arg == tile[0].arg; }) -
                 byArg.begin();
  bool rowVectors = first.size >= 4 && first.size % 4 == 0;
  if (transposeStore && vecAt != 0 && !rowVectors) {
    // The tile's vectors run along another axis than the output's rows, and
    // a row of the tile is no whole number of 4-lane vectors (14 pixels):
    // vectorized along both axes, the store is one in-register transpose
    // and row stores, not a scalar store per element (resnet.l2.conv1's
    // input gradient, 16 channels x 14 pixels per phase: 0.68-0.71 ->
    // 0.73-0.75 of oneDNN; a 64 x 4 tile, vectorized along its rows as
    // below, lost 3% that way). Only where out's strides are static (an
    // intermediate): into a kernel output (resnet.l1 fwd) it lost 9%.
    out.reorder(order[vecAt], order[0]);
    out.vectorize(order[0].var).vectorize(order[vecAt].var);
  } else if (rowVectors) {
    out.vectorize(order.front().var, std::min(first.size, vw));
  }
  if (parallelArg >= 0)
    out.parallel(outer[parallelArg]);

  prod.compute_at(out, outer.front());
  for (const TileDim &d : tile)
    prod.bound_extent(pa[d.arg], d.size);
  Var v = pa[tile[0].arg];
  // The vector axis innermost in storage too: each accumulator is one
  // contiguous vector that LLVM keeps in a register.
  std::vector<Var> storage{v};
  for (const Var &a : pa)
    if (a.name() != v.name())
      storage.push_back(a);
  prod.reorder_storage(storage);
  prod.vectorize(v, vw);
  // The update: the register tile innermost (vector axis first), the
  // reduction around it.
  Stage u = prod.update();
  std::vector<VarOrRVar> inner;
  for (const TileDim &d : tile)
    inner.push_back(pa[d.arg]);
  for (int i = 0; i < red.dimensions(); ++i)
    inner.push_back(red[i]);
  u.reorder(inner);
  u.vectorize(v, vw).unroll(v);
  // Tap loops of trip count 2 (a stride-2 transpose's taps per phase)
  // unrolled: as loops they cost ~20% there. Unrolling 3x3 taps as well
  // measured no better (within the +-10% noise) at 9x the code.
  int64_t unrolled = 1;
  for (int i = 0; i + 1 < red.dimensions(); ++i) {
    const int64_t *e = Internal::as_const_int(Internal::simplify(red[i].extent()));
    if (!e || *e < 1 || *e > 2 || unrolled * *e > 4)
      break;
    u.unroll(red[i]);
    unrolled *= *e;
  }
  for (size_t i = 1; i < tile.size(); ++i)
    u.unroll(pa[tile[i].arg]);
}

void stageAt(Func x, Func consumer, VarOrRVar level, int vw) {
  x.compute_at(LoopLevel(consumer, level)).vectorize(x.args()[0], vw, TailStrategy::GuardWithIf);
  // Row vectors of the copy: guarded tails are predicated loads and stores.
  if (x.has_update_definition())
    x.update().vectorize(x.rvars(0)[0], vw, TailStrategy::GuardWithIf);
}

void vectorizeRootOutput(ScheduleCtx &s, int vw) {
  std::vector<Var> a = s.out.args();
  const Dims &d = s.node.outputs[0]->type.dims;
  if (a.empty())
    return;
  Var v = a[0];
  int64_t span = d.back().isStatic() ? d.back().value : 0;
  for (size_t i = 1; i < a.size() && span > 0 && span < 4 * vw; ++i) {
    const Dim &di = d[d.size() - 1 - i];
    if (!di.isStatic())
      break;
    // Dense buffers: axis i's stride is the span inside it, so the fused
    // index is the address (vector stores, not scatters).
    for (Halide::OutputImageParam o : s.out.output_buffers())
      o.dim(static_cast<int>(i)).set_stride(static_cast<int>(span));
    Var f(v.name() + "_" + a[i].name());
    s.out.fuse(v, a[i], f);
    v = f;
    span *= di.value;
  }
  s.out.vectorize(v, vw, TailStrategy::GuardWithIf);
}

void plainCpuSchedule(Func prod, int vw) {
  prod.compute_root();
  std::vector<Var> a = prod.args();
  if (a.empty())
    return;
  prod.vectorize(a[0], vw, TailStrategy::GuardWithIf);
  prod.update().vectorize(a[0], vw, TailStrategy::GuardWithIf);
}

void gpuSchedule(Func out, Func prod) {
  std::vector<Var> a = out.args();
  if (a.empty()) {
    prod.compute_root();
    return;
  }
  Var fused = a[0];
  for (size_t i = 1; i < a.size(); ++i) {
    Var f(fused.name() + "_" + a[i].name());
    out.fuse(fused, a[i], f);
    fused = f;
  }
  Var block("gpu_b"), thread("gpu_t");
  // 128 threads a block: enough warps to hide latency, small enough that
  // tiny tensors still fill several SMs.
  out.gpu_tile(fused, block, thread, 128, TailStrategy::GuardWithIf);
  prod.compute_at(out, thread);
}

} // namespace dlc::codegen
