// Schedule template of split sums (SplitSum, ops/Reduce.cpp): BatchNorm's
// statistics and gradient sums, bias gradients.
//
// CPU: summed serially, these reductions ran one scalar accumulator per
// output through every reduced element (BatchNorm in double: 13% and 24% of
// VGG-small's training step). Split, they run along the rows they read: per
// output, a vector accumulator per row chunk (held in registers: the lanes
// are computed per output and their allocation is promoted), the other
// reduced axes in loops around them, every row read with plain vector loads
// (the last chunk shifted back inside the row, its overlap masked by the
// algorithm, rather than a masked load: a masked store then load of the
// accumulator misses store forwarding and ran 5x slower on 10-wide rows).
// Separate accumulators per chunk also break the chain of dependent adds.
// Threads split the outputs where the sum is large.
#include "codegen/schedules/Schedules.h"

namespace dlc::codegen {

using namespace Halide;

int fitLanes(int64_t extent, int lanes) {
  int v = 1;
  while (v * 2 <= lanes && v * 2 <= extent)
    v *= 2;
  return v;
}

void splitSumLanes(SplitSum &s, int64_t row, Type acc, int terms, const Target &t) {
  s.vw = t.has_gpu_feature() || row < 2 ? 1 : fitLanes(row, t.natural_vector_size(acc));
  // Half the vector registers for accumulators, the rest for loads.
  int64_t chunks = (row + s.vw - 1) / s.vw;
  int budget = t.has_feature(Target::AVX512) ? 16 : 8;
  s.chunkAccumulators = chunks * terms <= budget;
}

void scheduleSplitSum(const SplitSum &s, const Target &t) {
  Func total = s.total, lanes = s.lanes;
  total.compute_root();
  if (t.has_gpu_feature()) {
    if (lanes.defined())
      lanes.compute_root();
    return;
  }
  bool threads = s.work >= (1 << 16);
  std::vector<Var> targs = total.args();
  if (!lanes.defined()) {
    if (!s.innerKept)
      return;
    // The innermost axis kept ([N, C] BatchNorm): vectors along it.
    int vw = t.natural_vector_size(total.output_types()[0]);
    total.vectorize(targs[0], vw, TailStrategy::GuardWithIf);
    std::vector<VarOrRVar> order{targs[0]};
    for (const RVar &r : total.rvars())
      order.push_back(r);
    order.insert(order.end(), targs.begin() + 1, targs.end());
    total.update().reorder(order).vectorize(targs[0], vw, TailStrategy::GuardWithIf);
    return;
  }
  // Lanes per output of total (its innermost kept axis); at root for a sum
  // of everything.
  if (targs.empty())
    lanes.compute_root();
  else
    lanes.compute_at(total, targs[0]);
  std::vector<Var> largs = lanes.args();
  lanes.vectorize(largs[0], s.vw);
  if (s.chunkAccumulators)
    lanes.unroll(largs[1]);
  if (lanes.has_update_definition()) {
    Stage u = lanes.update();
    std::vector<VarOrRVar> order{largs[0]};
    if (s.chunkAccumulators)
      order.push_back(largs[1]);
    for (const RVar &r : lanes.rvars())
      order.push_back(r);
    u.reorder(order).vectorize(largs[0], s.vw);
    if (s.chunkAccumulators)
      u.unroll(largs[1]);
  }
  if (threads && !targs.empty())
    total.update().parallel(targs.back());
}

} // namespace dlc::codegen
