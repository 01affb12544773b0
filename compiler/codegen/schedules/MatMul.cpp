// Schedule templates of MatMul (NN, NT, TN alike: the lowering stages op(A)
// and op(B) so that every variant meets the same tile).
//
// CPU: an output tile of mmVecs vectors along n x mmRows rows along m held in
// registers, the k loop around it (PERF-NOTES: 3 x 8 on AVX-512 reached
// 90-99% of peak; AVX2 fits 2 x 6). op(B) is staged once per call n-innermost
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
  const Dim &M = d[d.size() - 2], &N = d.back();
  // Narrow outputs (a 10-class head) take fewer vectors rather than
  // computing mostly padding; short ones fewer rows.
  int vecs = ct.mmVecs, rows = ct.mmRows;
  if (N.isStatic())
    vecs = std::max<int>(1, std::min<int64_t>(vecs, (N.value + ct.vw - 1) / ct.vw));
  if (M.isStatic())
    rows = std::max<int>(1, std::min<int64_t>(rows, M.value));
  f.a.compute_root().vectorize(f.a.args()[0], ct.vw, TailStrategy::GuardWithIf);
  f.b.compute_root().vectorize(f.b.args()[0], ct.vw, TailStrategy::GuardWithIf);
  registerTile(s.out, f.prod, f.k, {{0, vecs * ct.vw}, {1, rows}}, ct.vw, 1);
}

} // namespace dlc::codegen
