// Halide kernels of the element-wise families against the reference
// interpreter (BackendCheck.h).
#include "BackendCheck.h"

using dlc::test::BackendCheckOptions;
using dlc::test::checkBackend;

TEST(CodegenElementwise, UnaryMath) {
  checkBackend(R"(graph t {
  input x: f32[N, 5, 7]
  a = Relu(x)
  b = Sigmoid(x)
  c = Tanh(x)
  d = Exp(x)
  e = Neg(x)
  f = Abs(x)
  g = LeakyRelu(x) {alpha=0.2}
  h = Clip(x) {min=-0.5, max=0.5}
  i = Elu(x)
  j = Softplus(x)
  k = Floor(x)
  l = Sign(x)
  output a
})");
  BackendCheckOptions pos;
  pos.positive = true;
  checkBackend(R"(graph t {
  input x: f32[N, 33]
  a = Log(x)
  b = Sqrt(x)
  c = Reciprocal(x)
  output a
})", pos);
}

TEST(CodegenElementwise, BroadcastingBinaryOps) {
  checkBackend(R"(graph t {
  input a: f32[N, 4, 5]
  input b: f32[4, 1]
  input c: f32[]
  s = Add(a, b)
  d = Sub(b, a)
  m = Mul(a, c)
  x = Max(a, b)
  n = Min(c, a)
  lt = Less(a, b)
  w = Where(lt, a, b)
  output s
})");
  checkBackend(R"(graph t {
  input a: i64[N, 6]
  input b: i64[6]
  s = Add(a, b)
  m = Mul(a, b)
  e = Equal(a, b)
  f = Cast(a) {to=f32}
  output s
})");
}
