// Shape sweeps of the schedule paths of pooling (schedules/Pool.cpp) against
// the reference interpreter (BackendCheck.h), at batch 1 and 64. Each case
// names the path it takes; inputs are small integers, so max-pool windows tie.
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
