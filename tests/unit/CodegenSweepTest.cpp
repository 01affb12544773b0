// Shape sweeps of the schedule paths of pooling (schedules/Pool.cpp),
// BatchNorm and the split reductions (schedules/Reduce.cpp) against the
// reference interpreter (BackendCheck.h), at batch 1 and 64. Each case names
// the path it takes; inputs are small integers, so max-pool windows tie.
#include "BackendCheck.h"

using dlc::test::BackendCheckOptions;
using dlc::test::checkBackend;

namespace {

BackendCheckOptions batch(int64_t n) {
  BackendCheckOptions o;
  o.syms = {{"N", n}};
  o.integral = true;
  return o;
}

// Pool gradients: rows split by the stride (W % s == 0) or not, disjoint or
// overlapping windows, windows unrolled (<= 16 taps) or an RDom.
const char *kPoolGrads = R"(graph t {
  input x: f32[N, 3, 28, 28]
  input d2: f32[N, 3, 14, 14]
  input d3c: f32[N, 3, 10, 10]
  input dp: f32[N, 3, 15, 15]
  input de: f32[N, 3, 14, 14]
  # stride == kernel: split, disjoint
  a = MaxPoolGrad(x, d2) {kernel_shape=[2, 2], strides=[2, 2]}
  b = AveragePoolGrad(x, d2) {kernel_shape=[2, 2], strides=[2, 2]}
  # 28 % 3 != 0: not split, gathers; ceil_mode's last window is partial
  c = MaxPoolGrad(x, d3c) {kernel_shape=[3, 3], strides=[3, 3], ceil_mode=1}
  # padding: split with an offset
  p = MaxPoolGrad(x, dp) {kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1]}
  # ceil_mode and end padding on an even row
  e = MaxPoolGrad(x, de) {kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1], ceil_mode=1}
  # overlapping windows: split, two candidate windows per axis
  o = MaxPoolGrad(x, d2) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}
  q = AveragePoolGrad(x, d2) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1}
  input y: f32[N, 2, 30, 30]
  input d6: f32[N, 2, 6, 6]
  input d10: f32[N, 2, 10, 10]
  input d29: f32[N, 2, 29, 28]
  input dm: f32[N, 2, 15, 29]
  # 25 taps: an RDom per window
  r = MaxPoolGrad(y, d6) {kernel_shape=[5, 5], strides=[5, 5]}
  # kernel < stride: positions in no window
  g = MaxPoolGrad(y, d10) {kernel_shape=[2, 2], strides=[3, 3]}
  # stride 1 with a dilation; strides 2 along columns, 1 along rows
  s = MaxPoolGrad(y, d29) {kernel_shape=[2, 2], dilations=[1, 2]}
  m = MaxPoolGrad(y, dm) {kernel_shape=[2, 2], strides=[2, 1]}
  input z1: f32[N, 4, 30]
  input dz1: f32[N, 4, 15]
  h = MaxPoolGrad(z1, dz1) {kernel_shape=[2], strides=[2]}
  input z3: f32[N, 2, 4, 6, 8]
  input dz3: f32[N, 2, 2, 3, 4]
  i = MaxPoolGrad(z3, dz3) {kernel_shape=[2, 2, 2], strides=[2, 2, 2]}
  input w: f64[N, 3, 12, 12]
  input dw: f64[N, 3, 7, 7]
  j = MaxPoolGrad(w, dw) {kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1]}
  output a
})";

const char *kPools = R"(graph t {
  input x: f32[N, 3, 28, 28]
  a = MaxPool(x) {kernel_shape=[2, 2], strides=[2, 2]}
  b = AveragePool(x) {kernel_shape=[2, 2], strides=[2, 2]}
  c = MaxPool(x) {kernel_shape=[3, 3], strides=[3, 3], ceil_mode=1}
  p = MaxPool(x) {kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1]}
  o = MaxPool(x) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}
  input y: f32[N, 2, 30, 30]
  r = MaxPool(y) {kernel_shape=[5, 5], strides=[5, 5]}
  g = AveragePool(y) {kernel_shape=[5, 5], strides=[5, 5]}
  input w: f64[N, 3, 12, 12]
  j = MaxPool(w) {kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1]}
  # dilated windows of padding only give the lowest value (-inf)
  input t: f32[N, 1, 2, 2]
  v = MaxPool(t) {kernel_shape=[2, 2], dilations=[3, 3], pads=[2, 2, 2, 2]}
  input k: i64[N, 3, 12, 12]
  l = MaxPool(k) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}
  output a
})";

} // namespace

TEST(CodegenSweep, PoolGradBatch1) { checkBackend(kPoolGrads, batch(1)); }
TEST(CodegenSweep, PoolGradBatch64) { checkBackend(kPoolGrads, batch(64)); }
TEST(CodegenSweep, PoolBatch1) { checkBackend(kPools, batch(1)); }
TEST(CodegenSweep, PoolBatch64) { checkBackend(kPools, batch(64)); }

namespace {

// Split sums over a reduced innermost axis: rows as one vector (16 f32
// lanes), two chunks (28: the last shifted back, its overlap masked; 10: 8
// lanes), 4 lanes (7), more chunks than accumulators (300: chunks in a
// loop), a single column (no split); kept axes inside, outside, none; f16
// and f64. Small integer inputs: every order of the sums is exact.
const char *kReduces = R"(graph t {
  input a: f32[N, 6, 28, 28]
  ba = ReduceSum(a) {axes=[0, 2, 3], keepdims=0}
  ma = ReduceMean(a) {axes=[2, 3]}
  sa = ReduceSum(a)
  input b: f32[N, 16, 10, 10]
  bb = ReduceSum(b) {axes=[0, 2, 3], keepdims=0}
  input c: f32[N, 5, 7]
  bc = ReduceSum(c) {axes=[0, 2]}
  lc = ReduceMean(c) {axes=[-1], keepdims=0}
  input d: f32[N, 3, 300]
  bd = ReduceSum(d) {axes=[0, 2], keepdims=0}
  input e: f32[N, 3, 5, 1]
  be = ReduceSum(e) {axes=[0, 2, 3], keepdims=0}
  input h: f16[N, 4, 9, 9]
  bh = ReduceSum(h) {axes=[0, 2, 3], keepdims=0}
  input g: f64[N, 4, 9, 33]
  bg = ReduceMean(g) {axes=[0, 3]}
  output ba
})";

// BatchNorm in training mode and its gradient: statistics and gradient sums
// split as above (f64 lanes: 8 wide; rows of 7: 4 lanes), rows of 56 (the
// gradient's three sums exceed the accumulators), 3-D, and [6, C] (vectors
// along the channels).
const char *kNorms = R"(graph t {
  param s: f32[32] = uniform(low=0.5, high=1.5, seed=1)
  param b: f32[32] = uniform(low=-1, high=1, seed=2)
  param m: f32[32] = zeros
  param v: f32[32] = ones
  param s3: f32[3] = uniform(low=0.5, high=1.5, seed=3)
  param b3: f32[3] = uniform(low=-1, high=1, seed=4)
  param m3: f32[3] = zeros
  param v3: f32[3] = ones
  input x: f32[N, 32, 28, 28]
  input dy: f32[N, 32, 28, 28]
  y, ym, yv = BatchNorm(x, s, b, m, v) {training=1}
  dx, ds, db = BatchNormGrad(x, s, dy)
  input x7: f32[N, 3, 7, 7]
  input dy7: f32[N, 3, 7, 7]
  y7, ym7, yv7 = BatchNorm(x7, s3, b3, m3, v3) {training=1}
  dx7, ds7, db7 = BatchNormGrad(x7, s3, dy7)
  input x5: f32[N, 3, 2, 56]
  input dy5: f32[N, 3, 2, 56]
  dx5, ds5, db5 = BatchNormGrad(x5, s3, dy5)
  input x3: f32[N, 3, 3, 4, 5]
  y3, ym3, yv3 = BatchNorm(x3, s3, b3, m3, v3) {training=1}
  input x2: f32[6, 32]
  input dy2: f32[6, 32]
  y2, ym2, yv2 = BatchNorm(x2, s, b, m, v) {training=1}
  dx2, ds2, db2 = BatchNormGrad(x2, s, dy2)
  output y
})";

// BatchNorm sums run in double, the kernels' dx in f32.
BackendCheckOptions norms(int64_t n) {
  BackendCheckOptions o;
  o.syms = {{"N", n}};
  o.rtol = 1e-5;
  o.atol = 1e-5;
  return o;
}

} // namespace

TEST(CodegenSweep, ReduceBatch1) { checkBackend(kReduces, batch(1)); }
TEST(CodegenSweep, ReduceBatch64) { checkBackend(kReduces, batch(64)); }
TEST(CodegenSweep, NormBatch1) { checkBackend(kNorms, norms(1)); }
TEST(CodegenSweep, NormBatch64) { checkBackend(kNorms, norms(64)); }
