// Schedule templates of MatMul: NN, NT, TN and TT.
//
// CPU: an output tile of vectors x rows held in registers, the k loop around
// it (PERF-NOTES: 3 x 8 on AVX-512 reached 90-99% of peak; AVX2 fits 2 x 6).
// The vectors run along whichever output axis an operand stores
// contiguously: n when B is [K, N] (NN, TN), m when A is [K, M] (TT); the
// other operand gives one broadcast scalar per row and k, in any layout.
// Those operands are read in place: at batch 64 every element of B is used
// only 64 times, and copying it cost 30-50% of the kernel. NT has neither
// axis contiguous: the smaller operand is transposed once (PERF-NOTES: that
// beat packing the large one with in-register transposes). Reads past the
// edges are zero (the lowering's boundary condition), so tail tiles compute
// whole and store guarded. Threads split the rows of tiles.
#include "codegen/schedules/Schedules.h"

#include <algorithm>

namespace dlc::codegen {

using namespace Halide;

void scheduleMatMul(ScheduleCtx &s, MatMulFuncs f) {
  boundStaticOutput(s);
  if (s.target.has_gpu_feature()) {
    gpuSchedule(s.out, f.prod);
    return;
  }
  CpuTiling ct = cpuTiling(s.target);
  if (!f.hasM || !f.hasN) {
    // Matrix-vector products are memory bound: no register tile to win.
    plainCpuSchedule(f.prod, ct.vw);
    if (s.epilogue)
      vectorizeRootOutput(s, ct.vw);
    return;
  }
  const Dims &d = s.node.outputs[0]->type.dims;
  int64_t M = d[d.size() - 2].isStatic() ? d[d.size() - 2].value : 64;
  int64_t N = d.back().isStatic() ? d.back().value : 1024;
  // The vector axis, and for NT the operand to transpose.
  bool vecM = f.bT && (f.aT || M <= N);
  if (f.bT && !f.aT) {
    Func t = vecM ? f.a : f.b; // t(k, m) -> m innermost, or b(n, k) as is
    std::vector<Var> a = t.args();
    Var inner = vecM ? a[1] : a[0], outer = vecM ? a[0] : a[1];
    t.compute_root().reorder_storage(inner, outer).reorder(inner, outer);
    t.vectorize(inner, ct.vw, TailStrategy::GuardWithIf);
  }
  int64_t V = vecM ? M : N, R = vecM ? N : M; // vector axis, row axis
  // The tile computing the least padding: a 256-wide output takes 4 x 6
  // rather than 3 x 8 (which pads it to 288). Narrow outputs (a 10-class
  // head) take one vector, short ones fewer rows.
  auto padded = [](int64_t n, int64_t t) { return (n + t - 1) / t * t; };
  int vecs = 1, rows = 1;
  double best = 0;
  for (auto [v, r] : ct.mmTiles) {
    int64_t tv = std::min<int64_t>(v, (V + ct.vw - 1) / ct.vw) * ct.vw, tr = std::min<int64_t>(r, R);
    double work = double(padded(V, tv)) * double(padded(R, tr));
    if (best == 0 || work < best) {
      best = work;
      vecs = static_cast<int>(tv / ct.vw);
      rows = static_cast<int>(tr);
    }
  }
  int vArg = vecM ? 1 : 0, rArg = 1 - vArg;
  registerTile(s.out, f.prod, f.k, {{vArg, vecs * ct.vw}, {rArg, rows}}, ct.vw, rArg);
}

} // namespace dlc::codegen
