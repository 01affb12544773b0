// Schedule templates of pooling (MaxPool, AveragePool) and their gradients.
//
// CPU, forward: vectors along the output row; the window's taps are unrolled
// in the algorithm (ops/NN.cpp), so each tap is one strided vector load of x.
//
// CPU, gradients: dx gathers from the windows that contain each input
// position (ops/NN.cpp). Along a row of positions those windows step every
// s positions, so a vector along the row would read dy and the argmax with
// per-lane indices. Split by the stride instead (pos = q * s + i), unroll i
// and vectorize q: then every read is a plain vector load at q plus a
// constant, the selects on i fold away, and the s strided stores of each q
// vector interleave into dense ones. The first-max tap of each window
// (MaxPoolGrad) is computed per row of windows, vectorized, where windows do
// not overlap (each is read by s rows of dx only), else once for the call.
//
// Vectors are at most as wide as the row they run along (a power of two)
// and the last one is shifted inwards to end at the row's end, so short rows
// (7, 14 windows) still run in full vectors without masked accesses.
#include "codegen/schedules/Schedules.h"

namespace dlc::codegen {

using namespace Halide;

namespace {

void vectorizeRow(Func f, VarOrRVar v, int64_t extent, int lanes) {
  int width = fitLanes(extent, lanes);
  if (width > 1)
    f.vectorize(v, width, TailStrategy::ShiftInwards);
}

// Strides of at most this many positions per window axis unroll.
constexpr int64_t kMaxUnrolledStride = 4;

void cpuPoolSchedule(ScheduleCtx &s, PoolFuncs f) {
  boundStaticOutput(s);
  const Dims &d = s.node.outputs[0]->type.dims;
  size_t rank = d.size();
  Type et = halideType(s.node.outputs[0]->type.dtype);
  int lanes = s.target.natural_vector_size(et.is_float() ? Float(32) : et);
  int64_t elems = 1;
  for (const Dim &dim : d)
    elems *= dim.isStatic() ? dim.value : 64;
  // As the element-wise default: threads over images where the work pays.
  if (elems >= (1 << 16))
    s.out.parallel(s.vars.front());

  // Forward, or a gradient whose rows do not split evenly: vectors along
  // the row (a gradient's reads are then gathers).
  size_t last = rank - 1;
  int64_t st = f.strides.back();
  bool splitW = f.grad && st > 1 && st <= kMaxUnrolledStride && d[last].value % st == 0;
  if (!splitW) {
    vectorizeRow(s.out, s.vars[last], d[last].value, lanes);
    if (f.arg.defined()) {
      f.arg.compute_root();
      const Dims &od = s.node.inputs[1]->type.dims;
      vectorizeRow(f.arg, f.arg.args()[0], od.back().value, lanes);
    }
    return;
  }
  // Split the row (and the column, for 2-D and 3-D windows) by the stride.
  Var wq("wq"), wi("wi"), hq("hq"), hi("hi");
  s.out.split(s.vars[last], wq, wi, static_cast<int>(st));
  VarOrRVar windowRow = rank > 3 ? VarOrRVar(s.vars[last - 1]) : VarOrRVar(s.vars[1]);
  if (rank > 3) {
    int64_t sh = f.strides[f.strides.size() - 2];
    if (sh > 1 && sh <= kMaxUnrolledStride && d[last - 1].value % sh == 0) {
      s.out.split(s.vars[last - 1], hq, hi, static_cast<int>(sh)).unroll(hi);
      windowRow = hq;
    }
  }
  s.out.unroll(wi);
  vectorizeRow(s.out, wq, d[last].value / st, lanes);
  if (f.arg.defined()) {
    const Dims &od = s.node.inputs[1]->type.dims;
    if (f.disjoint)
      f.arg.compute_at(LoopLevel(s.out, windowRow));
    else
      f.arg.compute_root();
    vectorizeRow(f.arg, f.arg.args()[0], od.back().value, lanes);
  }
}

} // namespace

void schedulePool(LowerCtx &c, PoolFuncs f) {
  if (c.target.has_gpu_feature()) {
    // The element-wise default (a GPU thread per output); the argmaxes
    // once, before it.
    if (f.arg.defined())
      f.arg.compute_root();
    return;
  }
  f.grad = c.node.op == OpKind::MaxPoolGrad || c.node.op == OpKind::AveragePoolGrad;
  c.schedule = [f](ScheduleCtx &s) { cpuPoolSchedule(s, f); };
}

} // namespace dlc::codegen
