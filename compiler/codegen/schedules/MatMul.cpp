// Schedule templates of MatMul (NN, NT, TN alike: the lowering stages op(A)
// and op(B) so that every variant meets the same tile).
//
// CPU: an output tile of vectors along n x rows along m held in registers,
// the k loop around it (PERF-NOTES: 3 x 8 on AVX-512 reached 90-99% of peak;
// AVX2 fits 2 x 6). op(B) is staged once per call n-innermost
// (for NT a transpose of the small operand, which beat in-register
// transposes of the big one), op(A) once per call k-innermost; both are zero
// past the edges, so tail tiles compute whole and store guarded. Threads
// split the rows of tiles.
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
    return;
  }
  const Dims &d = s.node.outputs[0]->type.dims;
  int64_t M = d[d.size() - 2].isStatic() ? d[d.size() - 2].value : 64;
  int64_t N = d.back().isStatic() ? d.back().value : 1024;
  // The tile computing the least padding: a 256-wide output takes 4 x 6
  // rather than 3 x 8 (which pads it to 288). Narrow outputs (a 10-class
  // head) take one vector, short ones fewer rows.
  auto padded = [](int64_t n, int64_t t) { return (n + t - 1) / t * t; };
  int vecs = 1, rows = 1;
  double best = 0;
  for (auto [v, r] : ct.mmTiles) {
    int64_t tn = std::min<int64_t>(v, (N + ct.vw - 1) / ct.vw) * ct.vw, tm = std::min<int64_t>(r, M);
    double work = double(padded(N, tn)) * double(padded(M, tm));
    if (best == 0 || work < best) {
      best = work;
      vecs = static_cast<int>(tn / ct.vw);
      rows = static_cast<int>(tm);
    }
  }
  f.a.compute_root().vectorize(f.a.args()[0], ct.vw, TailStrategy::GuardWithIf);
  f.b.compute_root().vectorize(f.b.args()[0], ct.vw, TailStrategy::GuardWithIf);
  registerTile(s.out, f.prod, f.k, {{0, vecs * ct.vw}, {1, rows}}, ct.vw, 1);
}

} // namespace dlc::codegen
