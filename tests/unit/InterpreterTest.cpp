// Unit tests of the reference interpreter with hand-computed oracles: every
// op family on small inputs (values worked out by hand or from closed forms),
// integer exactness, dtype conversions, symbolic dims and the error messages
// for bad inputs and bad data. The comparisons against PyTorch over shape
// sweeps live in InterpreterTorchTest.cpp.
#include "runtime/reference/Interpreter.h"

#include "ir/Builder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace dlc;

namespace {

using Shape = std::vector<int64_t>;
using Attrs = std::map<std::string, Attr>;
using dlrt::numElements;

Tensor T(DType t, Shape shape, std::vector<double> v) {
  EXPECT_EQ(static_cast<int64_t>(v.size()), numElements(shape));
  return Tensor::fromVector(t, std::move(shape), v);
}
Tensor F(Shape shape, std::vector<double> v) {
  return T(DType::F32, std::move(shape), std::move(v));
}
Tensor I64(Shape shape, const std::vector<int64_t> &v) {
  Tensor t(DType::I64, std::move(shape));
  for (size_t i = 0; i < v.size(); ++i)
    t.data<int64_t>()[i] = v[i];
  return t;
}

std::vector<double> values(const Tensor &t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i)
    v.push_back(t.getDouble(i));
  return v;
}
std::vector<int64_t> ints(const Tensor &t) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < t.numel(); ++i)
    v.push_back(t.dtype() == DType::I64 ? t.data<int64_t>()[i] : t.getInt(i));
  return v;
}

// A graph under construction plus a runner.
struct G {
  Graph g;
  Builder b{g};

  Value *in(const std::string &name, DType t, Dims d) {
    return g.addInput(name, {t, std::move(d)});
  }
  Value *cst(const std::string &name, Tensor t) {
    return g.addConst(name, std::move(t));
  }
  Value *op(OpKind k, std::vector<Value *> ins, Attrs attrs = {},
            const std::string &name = "y") {
    auto v = b.add(k, std::move(ins), std::move(attrs), name);
    if (!v) {
      ADD_FAILURE() << v.error().message();
      return nullptr;
    }
    return *v;
  }
  std::vector<Value *> multi(OpKind k, std::vector<Value *> ins, Attrs attrs,
                             const std::string &name,
                             std::vector<std::string> outs) {
    auto n = b.addMulti(k, std::move(ins), std::move(attrs), name, outs);
    if (!n) {
      ADD_FAILURE() << n.error().message();
      return {};
    }
    return (*n)->outputs;
  }
  void out(Value *v) { g.addOutput(v->name, v); }

  Expected<InterpretResult> run(const std::map<std::string, Tensor> &inputs) {
    return interpret(g, inputs);
  }
  // Runs and returns all outputs, failing the test on an error.
  std::vector<Tensor> ok(const std::map<std::string, Tensor> &inputs) {
    auto r = interpret(g, inputs);
    if (!r) {
      ADD_FAILURE() << r.error().message();
      return {};
    }
    return r->outputs;
  }
  std::string err(const std::map<std::string, Tensor> &inputs) {
    auto r = interpret(g, inputs);
    EXPECT_FALSE(bool(r)) << "expected an error";
    return r ? "" : r.error().message();
  }
};

// Runs a one-op graph on the given inputs (named a, b, c, ...).
std::vector<Tensor> run1(OpKind k, std::vector<Tensor> ins, Attrs attrs = {},
                         int numOut = 1) {
  G g;
  std::vector<Value *> vs;
  std::map<std::string, Tensor> feed;
  for (size_t i = 0; i < ins.size(); ++i) {
    std::string name(1, static_cast<char>('a' + i));
    Dims d;
    for (int64_t e : ins[i].shape())
      d.push_back(Dim(e));
    vs.push_back(g.in(name, ins[i].dtype(), d));
    feed[name] = ins[i];
  }
  std::vector<std::string> names;
  for (int i = 0; i < numOut; ++i)
    names.push_back("y" + std::to_string(i));
  for (Value *v : g.multi(k, vs, std::move(attrs), "node", names))
    g.out(v);
  return g.ok(feed);
}

Tensor run1o(OpKind k, std::vector<Tensor> ins, Attrs attrs = {}) {
  auto r = run1(k, std::move(ins), std::move(attrs));
  return r.empty() ? Tensor() : r[0];
}

void expectValues(const Tensor &t, Shape shape, std::vector<double> want,
                  double tol = 0) {
  ASSERT_EQ(t.shape(), shape);
  std::vector<double> got = values(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i;
    else if (std::isinf(want[i]))
      EXPECT_EQ(got[i], want[i]) << "element " << i;
    else
      EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
  }
}

} // namespace

// --- element-wise -----------------------------------------------------------

TEST(InterpElementwise, UnaryFloatClosedForms) {
  Tensor x = F({5}, {-2, -0.5, 0, 0.5, 2});
  const double e = std::exp(1.0);
  // float32 results of double math: compare at float precision.
  const double tol = 1e-6;
  expectValues(run1o(OpKind::Relu, {x}), {5}, {0, 0, 0, 0.5, 2});
  expectValues(run1o(OpKind::Neg, {x}), {5}, {2, 0.5, 0, -0.5, -2});
  expectValues(run1o(OpKind::Abs, {x}), {5}, {2, 0.5, 0, 0.5, 2});
  expectValues(run1o(OpKind::Sign, {x}), {5}, {-1, -1, 0, 1, 1});
  expectValues(run1o(OpKind::Exp, {x}), {5},
               {1 / (e * e), 1 / std::sqrt(e), 1, std::sqrt(e), e * e}, 1e-5);
  expectValues(run1o(OpKind::Sigmoid, {F({3}, {0, 100, -100})}), {3},
               {0.5, 1, 0}, tol);
  expectValues(run1o(OpKind::Tanh, {F({2}, {0, 30})}), {2}, {0, 1}, tol);
  expectValues(run1o(OpKind::Log, {F({3}, {1, 0, -1})}), {3},
               {0, -INFINITY, NAN});
  expectValues(run1o(OpKind::Sqrt, {F({2}, {4, 2.25})}), {2}, {2, 1.5});
  expectValues(run1o(OpKind::Reciprocal, {F({2}, {4, -0.5})}), {2}, {0.25, -2});
  expectValues(run1o(OpKind::Floor, {x}), {5}, {-2, -1, 0, 0, 2});
  expectValues(run1o(OpKind::Ceil, {x}), {5}, {-2, -0, 0, 1, 2});
  // Round: halves to even, as ONNX.
  expectValues(run1o(OpKind::Round, {F({5}, {2.5, -2.5, 3.5, 0.4, -0.6})}), {5},
               {2, -2, 4, 0, -1});
  expectValues(run1o(OpKind::Erf, {F({2}, {0, 10})}), {2}, {0, 1}, tol);
  expectValues(run1o(OpKind::Sin, {F({2}, {0, M_PI / 2})}), {2}, {0, 1}, tol);
  expectValues(run1o(OpKind::Cos, {F({2}, {0, M_PI})}), {2}, {1, -1}, tol);
  expectValues(run1o(OpKind::Elu, {F({2}, {-1, 3})}, {{"alpha", Attr::ofFloat(2)}}),
               {2}, {2 * (1 / e - 1), 3}, tol);
  expectValues(
      run1o(OpKind::LeakyRelu, {F({2}, {-10, 3})}, {{"alpha", Attr::ofFloat(0.1)}}),
      {2}, {-1, 3}, tol);
  // softplus(0) = ln 2 / beta; large inputs are linear, no overflow.
  expectValues(
      run1o(OpKind::Softplus, {F({3}, {0, 1000, -1000})}, {{"beta", Attr::ofFloat(2)}}),
      {3}, {std::log(2.0) / 2, 1000, 0}, tol);
  expectValues(run1o(OpKind::Clip, {F({4}, {-3, 0.5, 7, NAN})},
                     {{"min", Attr::ofFloat(-1)}, {"max", Attr::ofFloat(2)}}),
               {4}, {-1, 0.5, 2, NAN});
}

TEST(InterpElementwise, UnaryIntegerOps) {
  Tensor x = I64({4}, {-5, 0, 7, std::numeric_limits<int64_t>::min()});
  EXPECT_EQ(ints(run1o(OpKind::Abs, {x})),
            (std::vector<int64_t>{5, 0, 7, std::numeric_limits<int64_t>::min()}));
  EXPECT_EQ(ints(run1o(OpKind::Neg, {x})),
            (std::vector<int64_t>{5, 0, -7, std::numeric_limits<int64_t>::min()}));
  EXPECT_EQ(ints(run1o(OpKind::Relu, {x})), (std::vector<int64_t>{0, 0, 7, 0}));
  EXPECT_EQ(ints(run1o(OpKind::Sign, {x})), (std::vector<int64_t>{-1, 0, 1, -1}));
  // Integer clip bounds round inward: [-1.5, 2.5] clamps to [-1, 2].
  EXPECT_EQ(ints(run1o(OpKind::Clip, {x},
                       {{"min", Attr::ofFloat(-1.5)}, {"max", Attr::ofFloat(2.5)}})),
            (std::vector<int64_t>{-1, 0, 2, -1}));
  Tensor b = T(DType::Bool, {3}, {1, 0, 1});
  EXPECT_EQ(ints(run1o(OpKind::Not, {b})), (std::vector<int64_t>{0, 1, 0}));
}

TEST(InterpElementwise, IntegerArithmeticIsExact) {
  // Beyond 2^53, where a trip through double would round.
  const int64_t big = (int64_t(1) << 62) + 3;
  Tensor a = I64({3}, {big, -7, 7}), b = I64({3}, {1, 2, -3});
  EXPECT_EQ(ints(run1o(OpKind::Add, {a, b})),
            (std::vector<int64_t>{big + 1, -5, 4}));
  EXPECT_EQ(ints(run1o(OpKind::Sub, {a, b})),
            (std::vector<int64_t>{big - 1, -9, 10}));
  // Mul wraps modulo 2^64.
  EXPECT_EQ(ints(run1o(OpKind::Mul, {I64({1}, {big}), I64({1}, {4})})),
            (std::vector<int64_t>{12}));
  // Div truncates toward zero; Mod follows the divisor's sign unless fmod=1.
  EXPECT_EQ(ints(run1o(OpKind::Div, {a, b})),
            (std::vector<int64_t>{big, -3, -2}));
  EXPECT_EQ(ints(run1o(OpKind::Mod, {I64({4}, {-7, 7, -7, 7}), I64({4}, {3, -3, -3, 3})})),
            (std::vector<int64_t>{2, -2, -1, 1}));
  EXPECT_EQ(ints(run1o(OpKind::Mod, {I64({4}, {-7, 7, -7, 7}), I64({4}, {3, -3, -3, 3})},
                       {{"fmod", Attr::ofInt(1)}})),
            (std::vector<int64_t>{-1, 1, -1, 1}));
  EXPECT_EQ(ints(run1o(OpKind::Pow, {I64({3}, {3, -2, 2}), I64({3}, {5, 3, 62})})),
            (std::vector<int64_t>{243, -8, int64_t(1) << 62}));
  EXPECT_EQ(ints(run1o(OpKind::Max, {a, b})), (std::vector<int64_t>{big, 2, 7}));
  EXPECT_EQ(ints(run1o(OpKind::Min, {a, b})), (std::vector<int64_t>{1, -7, -3}));
  // INT64_MIN / -1 must not trap; it wraps.
  EXPECT_EQ(ints(run1o(OpKind::Div, {I64({1}, {std::numeric_limits<int64_t>::min()}),
                                     I64({1}, {-1})})),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min()}));
}

TEST(InterpElementwise, NarrowIntegersWrap) {
  Tensor a = T(DType::U8, {2}, {3, 250}), b = T(DType::U8, {2}, {5, 10});
  Tensor s = run1o(OpKind::Sub, {a, b}), p = run1o(OpKind::Add, {a, b});
  EXPECT_EQ(s.dtype(), DType::U8);
  EXPECT_EQ(ints(s), (std::vector<int64_t>{254, 240}));
  EXPECT_EQ(ints(p), (std::vector<int64_t>{8, 4}));
  Tensor i = T(DType::I32, {1}, {2147483647});
  EXPECT_EQ(ints(run1o(OpKind::Add, {i, T(DType::I32, {1}, {1})})),
            (std::vector<int64_t>{-2147483648LL}));
  Tensor c = T(DType::I8, {2}, {100, -100});
  EXPECT_EQ(ints(run1o(OpKind::Mul, {c, T(DType::I8, {2}, {2, 2})})),
            (std::vector<int64_t>{-56, 56}));
}

TEST(InterpElementwise, FloatBinaryOps) {
  Tensor a = F({4}, {-7.5, 7.5, 1, NAN}), b = F({4}, {2, -2, 0, 1});
  expectValues(run1o(OpKind::Mod, {a, b}), {4}, {0.5, -0.5, NAN, NAN});
  expectValues(run1o(OpKind::Mod, {a, b}, {{"fmod", Attr::ofInt(1)}}), {4},
               {-1.5, 1.5, NAN, NAN});
  expectValues(run1o(OpKind::Div, {a, b}), {4}, {-3.75, -3.75, INFINITY, NAN});
  expectValues(run1o(OpKind::Max, {a, b}), {4}, {2, 7.5, 1, NAN});
  expectValues(run1o(OpKind::Min, {a, b}), {4}, {-7.5, -2, 0, NAN});
  expectValues(run1o(OpKind::Pow, {F({2}, {2, 9}), F({2}, {-1, 0.5})}), {2},
               {0.5, 3});
  // f16 computes through float and rounds to half: 1 + 2^-11 rounds to even.
  Tensor h = run1o(OpKind::Add, {T(DType::F16, {2}, {1, 1000}),
                                 T(DType::F16, {2}, {0x1.0p-11, 0.25})});
  EXPECT_EQ(h.dtype(), DType::F16);
  expectValues(h, {2}, {1, 1000.0}); // 1000.25 is not a half: ulp there is 0.5
}

TEST(InterpElementwise, Broadcasting) {
  expectValues(run1o(OpKind::Add, {F({2, 3}, {1, 2, 3, 4, 5, 6}), F({3}, {10, 20, 30})}),
               {2, 3}, {11, 22, 33, 14, 25, 36});
  expectValues(run1o(OpKind::Mul, {F({2, 1}, {1, 2}), F({1, 3}, {1, 10, 100})}),
               {2, 3}, {1, 10, 100, 2, 20, 200});
  expectValues(run1o(OpKind::Sub, {F({}, {1}), F({2, 2}, {1, 2, 3, 4})}), {2, 2},
               {0, -1, -2, -3});
  // Three-way broadcasting with a scalar operand inside.
  Tensor w = run1o(OpKind::Where, {T(DType::Bool, {2, 1}, {1, 0}), F({3}, {1, 2, 3}),
                                   F({}, {-1})});
  expectValues(w, {2, 3}, {1, 2, 3, -1, -1, -1});
}

TEST(InterpElementwise, LogicAndComparisons) {
  Tensor p = T(DType::Bool, {4}, {0, 0, 1, 1}), q = T(DType::Bool, {4}, {0, 1, 0, 1});
  EXPECT_EQ(ints(run1o(OpKind::And, {p, q})), (std::vector<int64_t>{0, 0, 0, 1}));
  EXPECT_EQ(ints(run1o(OpKind::Or, {p, q})), (std::vector<int64_t>{0, 1, 1, 1}));
  EXPECT_EQ(ints(run1o(OpKind::Xor, {p, q})), (std::vector<int64_t>{0, 1, 1, 0}));
  // int64 neighbours that are equal as doubles must compare unequal.
  const int64_t big = (int64_t(1) << 60) + 1;
  Tensor a = I64({3}, {big, 2, 3}), b = I64({3}, {big - 1, 2, 4});
  Tensor eq = run1o(OpKind::Equal, {a, b});
  EXPECT_EQ(eq.dtype(), DType::Bool);
  EXPECT_EQ(ints(eq), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(ints(run1o(OpKind::Greater, {a, b})), (std::vector<int64_t>{1, 0, 0}));
  EXPECT_EQ(ints(run1o(OpKind::GreaterOrEqual, {a, b})), (std::vector<int64_t>{1, 1, 0}));
  EXPECT_EQ(ints(run1o(OpKind::Less, {a, b})), (std::vector<int64_t>{0, 0, 1}));
  EXPECT_EQ(ints(run1o(OpKind::LessOrEqual, {a, b})), (std::vector<int64_t>{0, 1, 1}));
  // NaN compares false, broadcast against a row.
  EXPECT_EQ(ints(run1o(OpKind::Less, {F({2, 1}, {NAN, 0}), F({2}, {-1, 1})})),
            (std::vector<int64_t>{0, 0, 0, 1}));
}

TEST(InterpElementwise, Cast) {
  auto cast = [](Tensor x, const char *to) {
    return run1o(OpKind::Cast, {x}, {{"to", Attr::ofString(to)}});
  };
  EXPECT_EQ(ints(cast(F({4}, {2.7, -2.7, 0.5, -0.5}), "i32")),
            (std::vector<int64_t>{2, -2, 0, 0}));
  // Out-of-range and NaN: defined results, no undefined behaviour.
  EXPECT_EQ(ints(cast(F({3}, {-1, 300, NAN}), "u8")),
            (std::vector<int64_t>{255, 44, 0}));
  EXPECT_EQ(ints(cast(F({3}, {0, 0.25, NAN}), "bool")),
            (std::vector<int64_t>{0, 1, 1}));
  const int64_t big = (int64_t(1) << 53) + 1;
  Tensor i = I64({2}, {big, -(int64_t(1) << 40) - 1});
  EXPECT_EQ(ints(cast(i, "i32")), (std::vector<int64_t>{1, -1}));
  EXPECT_EQ(cast(i, "f64").data<double>()[0], 9007199254740992.0);
  EXPECT_EQ(ints(cast(cast(i, "i64"), "i64")), ints(i));
  Tensor h = cast(F({3}, {1.0009765625, 65520, 0.1}), "f16");
  EXPECT_EQ(h.dtype(), DType::F16);
  expectValues(h, {3}, {1.0009765625, INFINITY, 0.0999755859375});
  expectValues(cast(T(DType::Bool, {2}, {1, 0}), "f32"), {2}, {1, 0});
  expectValues(cast(T(DType::I8, {2}, {-128, 127}), "f32"), {2}, {-128, 127});
}

TEST(InterpElementwise, IntegerDivisionByZeroIsAnError) {
  G g;
  Value *a = g.in("a", DType::I32, {Dim(2)}), *b = g.in("b", DType::I32, {Dim(2)});
  g.out(g.op(OpKind::Div, {a, b}, {}, "q"));
  std::string e = g.err({{"a", T(DType::I32, {2}, {1, 2})},
                         {"b", T(DType::I32, {2}, {1, 0})}});
  EXPECT_EQ(e, "node 'q' (Div): integer division by zero");
}

// --- neural-network layers --------------------------------------------------

TEST(InterpNN, ConvByHand) {
  // 3x3 input 1..9, 2x2 kernel of ones: each output sums a 2x2 block.
  Tensor x = F({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = F({1, 1, 2, 2}, {1, 1, 1, 1});
  expectValues(run1o(OpKind::Conv, {x, w}), {1, 1, 2, 2}, {12, 16, 24, 28});
  // Pad 1, stride 2, bias 0.5: corners see 1, 2+3, 4+7, 5+6+8+9.
  Tensor b = F({1}, {0.5});
  expectValues(run1o(OpKind::Conv, {x, w, b},
                     {{"pads", Attr::ofInts({1, 1, 1, 1})},
                      {"strides", Attr::ofInts({2, 2})}}),
               {1, 1, 2, 2}, {1.5, 5.5, 11.5, 28.5});
  // Dilation 2 with a 2x2 kernel reads the four corners.
  expectValues(run1o(OpKind::Conv, {x, w}, {{"dilations", Attr::ofInts({2, 2})}}),
               {1, 1, 1, 1}, {1 + 3 + 7 + 9});
  // Two groups: each output channel sees only its own input channel.
  Tensor x2 = F({1, 2, 1, 2}, {1, 2, 10, 20});
  Tensor w2 = F({2, 1, 1, 1}, {3, -1});
  expectValues(run1o(OpKind::Conv, {x2, w2}, {{"group", Attr::ofInt(2)}}),
               {1, 2, 1, 2}, {3, 6, -10, -20});
  // 1-D, asymmetric pads [1 | 0].
  expectValues(run1o(OpKind::Conv, {F({1, 1, 3}, {1, 2, 3}), F({1, 1, 2}, {1, 10})},
                     {{"pads", Attr::ofInts({1, 0})}}),
               {1, 1, 3}, {10, 21, 32});
}

TEST(InterpNN, ConvTransposeByHand) {
  // Stride 2 scatters a 2x2 kernel without overlap: a 2x2 tiling.
  Tensor x = F({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor w = F({1, 1, 2, 2}, {1, 10, 100, 1000});
  expectValues(run1o(OpKind::ConvTranspose, {x, w}, {{"strides", Attr::ofInts({2, 2})}}),
               {1, 1, 4, 4},
               {1, 10, 2, 20, 100, 1000, 200, 2000, 3, 30, 4, 40, 300, 3000, 400, 4000});
  // 1-D stride 1: a full convolution; pads crop; output_padding extends.
  Tensor x1 = F({1, 1, 3}, {1, 2, 3}), w1 = F({1, 1, 2}, {1, 1});
  expectValues(run1o(OpKind::ConvTranspose, {x1, w1}), {1, 1, 4}, {1, 3, 5, 3});
  expectValues(run1o(OpKind::ConvTranspose, {x1, w1, F({1}, {1})},
                     {{"pads", Attr::ofInts({1, 0})}}),
               {1, 1, 3}, {4, 6, 4});
  expectValues(run1o(OpKind::ConvTranspose, {x1, w1},
                     {{"strides", Attr::ofInts({2})},
                      {"output_padding", Attr::ofInts({1})}}),
               {1, 1, 7}, {1, 1, 2, 2, 3, 3, 0});
}

TEST(InterpNN, PoolingByHand) {
  Tensor x(DType::F32, {1, 1, 4, 4});
  for (int i = 0; i < 16; ++i)
    x.data<float>()[i] = static_cast<float>(i);
  Attrs k2s2{{"kernel_shape", Attr::ofInts({2, 2})}, {"strides", Attr::ofInts({2, 2})}};
  expectValues(run1o(OpKind::MaxPool, {x}, k2s2), {1, 1, 2, 2}, {5, 7, 13, 15});
  expectValues(run1o(OpKind::AveragePool, {x}, k2s2), {1, 1, 2, 2},
               {2.5, 4.5, 10.5, 12.5});
  // 3x3 window, pad 1: the top-left window holds 0, 1, 4, 5 and five pads.
  Attrs k3p1{{"kernel_shape", Attr::ofInts({3, 3})}, {"pads", Attr::ofInts({1, 1, 1, 1})}};
  Tensor avg = run1o(OpKind::AveragePool, {x}, k3p1);
  EXPECT_FLOAT_EQ(avg.data<float>()[0], 10.0f / 4);
  k3p1["count_include_pad"] = Attr::ofInt(1);
  avg = run1o(OpKind::AveragePool, {x}, k3p1);
  EXPECT_FLOAT_EQ(avg.data<float>()[0], 10.0f / 9);
  // Padding never wins a max, even over negative values.
  Tensor neg = F({1, 1, 1, 2}, {-5, -3});
  expectValues(run1o(OpKind::MaxPool, {neg},
                     {{"kernel_shape", Attr::ofInts({1, 2})},
                      {"pads", Attr::ofInts({0, 1, 0, 1})}}),
               {1, 1, 1, 3}, {-5, -3, -3});
  // ceil_mode: 5 wide, k2 s2 gives 3 windows, the last one clipped.
  Tensor r = F({1, 1, 5}, {1, 9, 2, 8, 3});
  Attrs c{{"kernel_shape", Attr::ofInts({2})}, {"strides", Attr::ofInts({2})},
          {"ceil_mode", Attr::ofInt(1)}};
  expectValues(run1o(OpKind::MaxPool, {r}, c), {1, 1, 3}, {9, 8, 3});
  expectValues(run1o(OpKind::AveragePool, {r}, c), {1, 1, 3}, {5, 5, 3});
  // MaxPool on integers stays exact.
  const int64_t big = (int64_t(1) << 60) + 1;
  Tensor xi = I64({1, 1, 2}, {big, big - 1});
  EXPECT_EQ(ints(run1o(OpKind::MaxPool, {xi}, {{"kernel_shape", Attr::ofInts({2})}})),
            (std::vector<int64_t>{big}));
}

TEST(InterpNN, BatchNormInferenceAndTraining) {
  // x: [4, 2]; channel 0 = 1, 2, 3, 4; channel 1 = 10 each.
  Tensor x = F({4, 2}, {1, 10, 2, 10, 3, 10, 4, 10});
  Tensor scale = F({2}, {2, 1}), bias = F({2}, {1, -1});
  Tensor mean = F({2}, {0, 10}), var = F({2}, {4, 1});
  Tensor y = run1o(OpKind::BatchNorm, {x, scale, bias, mean, var},
                   {{"epsilon", Attr::ofFloat(0)}});
  // (x - 0) / 2 * 2 + 1 and (10 - 10) * 1 - 1.
  expectValues(y, {4, 2}, {2, -1, 3, -1, 4, -1, 5, -1}, 1e-6);

  auto outs = run1(OpKind::BatchNorm, {x, scale, bias, mean, var},
                   {{"training", Attr::ofInt(1)}, {"momentum", Attr::ofFloat(0.1)},
                    {"epsilon", Attr::ofFloat(1e-5)}},
                   3);
  ASSERT_EQ(outs.size(), 3u);
  // Channel 0: mean 2.5, biased var 1.25 (normalizing), unbiased 5/3.
  double inv = 1 / std::sqrt(1.25 + 1e-5), inv1 = 1 / std::sqrt(0 + 1e-5);
  expectValues(outs[0], {4, 2},
               {2 * -1.5 * inv + 1, -1, 2 * -0.5 * inv + 1, -1, 2 * 0.5 * inv + 1,
                -1, 2 * 1.5 * inv + 1, -1 + 0 * inv1},
               1e-5);
  expectValues(outs[1], {2}, {0.9 * 0 + 0.1 * 2.5, 0.9 * 10 + 0.1 * 10}, 1e-6);
  expectValues(outs[2], {2}, {0.9 * 4 + 0.1 * 5.0 / 3, 0.9 * 1 + 0.1 * 0}, 1e-6);
}

TEST(InterpNN, DropoutIsSeededInvertedDropout) {
  const int n = 20000;
  Tensor x(DType::F32, {n});
  for (int i = 0; i < n; ++i)
    x.data<float>()[i] = 1.0f + static_cast<float>(i % 7);
  Attrs train{{"training", Attr::ofInt(1)}, {"ratio", Attr::ofFloat(0.25)},
              {"seed", Attr::ofInt(42)}};
  auto r1 = run1(OpKind::Dropout, {x}, train, 2);
  auto r2 = run1(OpKind::Dropout, {x}, train, 2);
  ASSERT_EQ(r1.size(), 2u);
  EXPECT_EQ(r1[1].dtype(), DType::Bool);
  EXPECT_TRUE(r1[0].sameBytes(r2[0]) && r1[1].sameBytes(r2[1])) << "not reproducible";
  int kept = 0;
  for (int i = 0; i < n; ++i) {
    bool k = r1[1].data<uint8_t>()[i];
    kept += k;
    float want = k ? x.data<float>()[i] / 0.75f : 0.0f;
    ASSERT_FLOAT_EQ(r1[0].data<float>()[i], want) << i;
  }
  // Binomial(20000, 0.75): mean 15000, sd ~61; allow 5 sd.
  EXPECT_NEAR(kept, 15000, 310);
  train["seed"] = Attr::ofInt(43);
  auto r3 = run1(OpKind::Dropout, {x}, train, 2);
  EXPECT_FALSE(r1[1].sameBytes(r3[1])) << "the seed does not matter";
  // Inference: identity with an all-true mask.
  auto r4 = run1(OpKind::Dropout, {x}, {{"ratio", Attr::ofFloat(0.5)}}, 2);
  EXPECT_TRUE(r4[0].sameBytes(x));
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(r4[1].data<uint8_t>()[i], 1);
}

TEST(InterpNN, SoftmaxByHand) {
  double e1 = std::exp(1.0), e2 = std::exp(2.0), s = 1 + e1 + e2;
  // Large logits must not overflow: softmax is shift invariant.
  Tensor x = F({2, 3}, {0, 1, 2, 1000, 1001, 1002});
  expectValues(run1o(OpKind::Softmax, {x}), {2, 3},
               {1 / s, e1 / s, e2 / s, 1 / s, e1 / s, e2 / s}, 1e-7);
  expectValues(run1o(OpKind::LogSoftmax, {x}), {2, 3},
               {-std::log(s), 1 - std::log(s), 2 - std::log(s), -std::log(s),
                1 - std::log(s), 2 - std::log(s)},
               1e-6);
  // Axis 0: columns of two.
  double a = 1 / (1 + std::exp(1000.0 - 0)), b = 1 - a;
  expectValues(run1o(OpKind::Softmax, {x}, {{"axis", Attr::ofInt(0)}}), {2, 3},
               {a, a, a, b, b, b}, 1e-7);
}

TEST(InterpNN, MatMulByHand) {
  Tensor a = F({2, 3}, {1, 2, 3, 4, 5, 6}), b = F({3, 2}, {1, 0, 0, 1, 1, 1});
  expectValues(run1o(OpKind::MatMul, {a, b}), {2, 2}, {4, 5, 10, 11});
  // transA: A^T is [3, 2] x B^T [2, 3]... use a with itself: A^T A.
  expectValues(run1o(OpKind::MatMul, {a, a}, {{"transA", Attr::ofInt(1)}}), {3, 3},
               {17, 22, 27, 22, 29, 36, 27, 36, 45});
  expectValues(run1o(OpKind::MatMul, {a, a}, {{"transB", Attr::ofInt(1)}}), {2, 2},
               {14, 32, 32, 77});
  // Vector cases: dot product, matrix-vector, vector-matrix.
  Tensor v = F({3}, {1, -1, 2});
  expectValues(run1o(OpKind::MatMul, {v, v}), {}, {6});
  expectValues(run1o(OpKind::MatMul, {a, v}), {2}, {5, 11});
  expectValues(run1o(OpKind::MatMul, {v, b}), {2}, {3, 1});
  // Batch broadcasting: [2, 1, 2] x [2, 1] -> [2, 1, 1].
  expectValues(run1o(OpKind::MatMul, {F({2, 1, 2}, {1, 2, 3, 4}), F({2, 1}, {10, 1})}),
               {2, 1, 1}, {12, 34});
  // Integers are exact past 2^53.
  const int64_t big = (int64_t(1) << 55) + 1;
  EXPECT_EQ(ints(run1o(OpKind::MatMul, {I64({1, 2}, {big, 1}), I64({2, 1}, {1, 1})})),
            (std::vector<int64_t>{big + 1}));
}

// --- reductions -------------------------------------------------------------

TEST(InterpReduce, ReductionsByHand) {
  Tensor x = F({2, 3}, {1, 2, 3, 4, 5, 6});
  auto ax = [](std::vector<int64_t> a, int keep) {
    return Attrs{{"axes", Attr::ofInts(std::move(a))}, {"keepdims", Attr::ofInt(keep)}};
  };
  expectValues(run1o(OpKind::ReduceSum, {x}, ax({1}, 0)), {2}, {6, 15});
  expectValues(run1o(OpKind::ReduceSum, {x}, ax({0}, 1)), {1, 3}, {5, 7, 9});
  expectValues(run1o(OpKind::ReduceMean, {x}), {1, 1}, {3.5});
  expectValues(run1o(OpKind::ReduceMax, {x}, ax({-1}, 0)), {2}, {3, 6});
  expectValues(run1o(OpKind::ReduceMin, {x}, ax({0, 1}, 0)), {}, {1});
  expectValues(run1o(OpKind::ReduceProd, {x}, ax({0}, 0)), {3}, {4, 10, 18});
  expectValues(run1o(OpKind::ReduceMax, {F({3}, {1, NAN, 2})}), {1}, {NAN});
  const int64_t big = (int64_t(1) << 60) + 1;
  EXPECT_EQ(ints(run1o(OpKind::ReduceSum, {I64({3}, {big, big, -1})})),
            (std::vector<int64_t>{2 * big - 1}));
  EXPECT_EQ(ints(run1o(OpKind::ReduceMean, {I64({2}, {-3, 0})})),
            (std::vector<int64_t>{-1})); // -1.5 truncates toward zero
}

TEST(InterpReduce, ArgMaxArgMin) {
  Tensor x = F({2, 4}, {1, 5, 5, 0, 7, 7, -1, 7});
  auto attrs = [](int axis, int keep, int last) {
    return Attrs{{"axis", Attr::ofInt(axis)}, {"keepdims", Attr::ofInt(keep)},
                 {"select_last_index", Attr::ofInt(last)}};
  };
  Tensor am = run1o(OpKind::ArgMax, {x}, attrs(1, 0, 0));
  EXPECT_EQ(am.dtype(), DType::I64);
  EXPECT_EQ(ints(am), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(ints(run1o(OpKind::ArgMax, {x}, attrs(1, 1, 1))), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(run1o(OpKind::ArgMax, {x}, attrs(1, 1, 1)).shape(), (Shape{2, 1}));
  EXPECT_EQ(ints(run1o(OpKind::ArgMin, {x}, attrs(-1, 0, 0))), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(ints(run1o(OpKind::ArgMin, {x}, attrs(0, 0, 0))),
            (std::vector<int64_t>{0, 0, 1, 0}));
  EXPECT_EQ(ints(run1o(OpKind::ArgMax, {F({3}, {1, NAN, 2})}, attrs(0, 0, 0))),
            (std::vector<int64_t>{1}));
}

// --- data movement ----------------------------------------------------------

TEST(InterpMovement, ReshapeWithSymbols) {
  G g;
  Value *x = g.in("x", DType::F32, {Dim("N"), Dim(1), Dim(2), Dim(2)});
  Value *y = g.op(OpKind::Reshape, {x}, {{"shape", Attr::ofDims({Dim(-1), Dim(4)})}});
  g.out(y);
  EXPECT_EQ(y->type.str(), "f32[N, 4]");
  Tensor in(DType::F32, {3, 1, 2, 2});
  for (int i = 0; i < 12; ++i)
    in.data<float>()[i] = static_cast<float>(i);
  auto r = g.ok({{"x", in}});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
}

TEST(InterpMovement, TransposeConcatSplit) {
  Tensor x = F({2, 3}, {1, 2, 3, 4, 5, 6});
  expectValues(run1o(OpKind::Transpose, {x}), {3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor x3(DType::I64, {2, 3, 4});
  for (int i = 0; i < 24; ++i)
    x3.data<int64_t>()[i] = i;
  Tensor t = run1o(OpKind::Transpose, {x3}, {{"perm", Attr::ofInts({1, 2, 0})}});
  ASSERT_EQ(t.shape(), (Shape{3, 4, 2}));
  // t[i, j, k] = x3[k, i, j]
  EXPECT_EQ(t.data<int64_t>()[(1 * 4 + 2) * 2 + 1], (1 * 3 + 1) * 4 + 2);
  expectValues(run1o(OpKind::Concat, {x, F({2, 1}, {7, 8})}, {{"axis", Attr::ofInt(1)}}),
               {2, 4}, {1, 2, 3, 7, 4, 5, 6, 8});
  expectValues(run1o(OpKind::Concat, {x, x}, {{"axis", Attr::ofInt(-2)}}), {4, 3},
               {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6});
  auto eq = run1(OpKind::Split, {x}, {{"axis", Attr::ofInt(1)}}, 3);
  ASSERT_EQ(eq.size(), 3u);
  expectValues(eq[2], {2, 1}, {3, 6});
  auto sz = run1(OpKind::Split, {x}, {{"axis", Attr::ofInt(1)}, {"split", Attr::ofInts({1, 2})}}, 2);
  ASSERT_EQ(sz.size(), 2u);
  expectValues(sz[0], {2, 1}, {1, 4});
  expectValues(sz[1], {2, 2}, {2, 3, 5, 6});
}

TEST(InterpMovement, Slice) {
  Tensor x = F({6}, {0, 1, 2, 3, 4, 5});
  auto sl = [&](int64_t s, int64_t e, int64_t st) {
    return run1o(OpKind::Slice, {x},
                 {{"starts", Attr::ofInts({s})}, {"ends", Attr::ofInts({e})},
                  {"steps", Attr::ofInts({st})}});
  };
  expectValues(sl(1, 5, 2), {2}, {1, 3});
  expectValues(sl(-1, -7, -2), {3}, {5, 3, 1});
  expectValues(sl(-2, 100, 1), {2}, {4, 5});
  expectValues(sl(4, 1, -1), {3}, {4, 3, 2});
  Tensor m = F({2, 3}, {1, 2, 3, 4, 5, 6});
  expectValues(run1o(OpKind::Slice, {m},
                     {{"starts", Attr::ofInts({1})}, {"ends", Attr::ofInts({3})},
                      {"axes", Attr::ofInts({-1})}}),
               {2, 2}, {2, 3, 5, 6});
}

TEST(InterpMovement, PadModes) {
  Tensor x = F({3}, {1, 2, 3});
  auto pad = [&](const char *mode) {
    return run1o(OpKind::Pad, {x},
                 {{"pads", Attr::ofInts({2, 2})}, {"mode", Attr::ofString(mode)},
                  {"value", Attr::ofFloat(9)}});
  };
  expectValues(pad("constant"), {7}, {9, 9, 1, 2, 3, 9, 9});
  expectValues(pad("reflect"), {7}, {3, 2, 1, 2, 3, 2, 1});
  expectValues(pad("edge"), {7}, {1, 1, 1, 2, 3, 3, 3});
  expectValues(pad("wrap"), {7}, {2, 3, 1, 2, 3, 1, 2});
  // 2-D, different pads per side; negative pads crop.
  Tensor m = F({2, 2}, {1, 2, 3, 4});
  expectValues(run1o(OpKind::Pad, {m},
                     {{"pads", Attr::ofInts({1, 0, 0, 1})}, {"mode", Attr::ofString("edge")}}),
               {3, 3}, {1, 2, 2, 1, 2, 2, 3, 4, 4});
  expectValues(run1o(OpKind::Pad, {m}, {{"pads", Attr::ofInts({0, -1, 1, 0})}}), {3, 1},
               {2, 4, 0});
  // Integer constant padding.
  EXPECT_EQ(ints(run1o(OpKind::Pad, {I64({1}, {5})},
                       {{"pads", Attr::ofInts({1, 0})}, {"value", Attr::ofFloat(-3)}})),
            (std::vector<int64_t>{-3, 5}));
}

TEST(InterpMovement, TileExpandGather) {
  Tensor x = F({2, 1}, {1, 2});
  expectValues(run1o(OpKind::Tile, {x}, {{"repeats", Attr::ofInts({2, 3})}}), {4, 3},
               {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2});
  expectValues(run1o(OpKind::Expand, {x}, {{"shape", Attr::ofDims({Dim(2), Dim(2), Dim(3)})}}),
               {2, 2, 3}, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2});
  Tensor d = F({3, 2}, {1, 2, 3, 4, 5, 6});
  expectValues(run1o(OpKind::Gather, {d, I64({2, 2}, {0, -1, 2, 1})}), {2, 2, 2},
               {1, 2, 5, 6, 5, 6, 3, 4});
  expectValues(run1o(OpKind::Gather, {d, T(DType::I32, {1}, {1})},
                     {{"axis", Attr::ofInt(1)}}),
               {3, 1}, {2, 4, 6});
  expectValues(run1o(OpKind::Gather, {d, I64({}, {-3})}), {2}, {1, 2});
}

TEST(InterpMovement, GatherOutOfRangeIsAnError) {
  G g;
  Value *d = g.in("d", DType::F32, {Dim(3)}), *i = g.in("i", DType::I64, {Dim(2)});
  g.out(g.op(OpKind::Gather, {d, i}, {}, "emb"));
  std::string e = g.err({{"d", F({3}, {1, 2, 3})}, {"i", I64({2}, {0, 3})}});
  EXPECT_EQ(e, "node 'emb' (Gather): index 3 is out of range for axis 0 of size 3");
  e = g.err({{"d", F({3}, {1, 2, 3})}, {"i", I64({2}, {-4, 0})}});
  EXPECT_NE(e.find("index -4 is out of range"), std::string::npos) << e;
}

// --- the driver: inputs, symbols, params ------------------------------------

TEST(InterpDriver, SymbolsBindFromInputs) {
  G g;
  Value *x = g.in("x", DType::F32, {Dim("N"), Dim(3)});
  Value *b = g.in("b", DType::F32, {Dim(3)});
  Value *y = g.op(OpKind::Add, {x, b});
  Value *s = g.op(OpKind::ReduceSum, {y}, {{"axes", Attr::ofInts({1})},
                                           {"keepdims", Attr::ofInt(0)}}, "s");
  g.out(s);
  EXPECT_EQ(s->type.str(), "f32[N]");
  for (int64_t n : {1, 2, 5}) {
    Tensor in(DType::F32, {n, 3});
    for (int64_t i = 0; i < 3 * n; ++i)
      in.data<float>()[i] = static_cast<float>(i);
    auto r = g.ok({{"x", in}, {"b", F({3}, {1, 1, 1})}});
    ASSERT_EQ(r.size(), 1u);
    ASSERT_EQ(r[0].shape(), (Shape{n}));
    for (int64_t i = 0; i < n; ++i)
      EXPECT_EQ(r[0].data<float>()[i], 9 * i + 3 + 3);
  }
}

TEST(InterpDriver, InputErrorsNameTheInput) {
  G g;
  Value *x = g.in("x", DType::F32, {Dim("N"), Dim(3)});
  Value *z = g.in("z", DType::F32, {Dim("N")});
  g.out(g.op(OpKind::Relu, {x}));
  g.out(g.op(OpKind::Relu, {z}, {}, "r"));
  Tensor good(DType::F32, {2, 3}), zz(DType::F32, {2});
  EXPECT_EQ(g.err({{"x", Tensor(DType::F32, {2, 4})}, {"z", zz}}),
            "input 'x': expected f32[N, 3], got f32[2, 4]");
  EXPECT_EQ(g.err({{"x", Tensor(DType::F64, {2, 3})}, {"z", zz}}),
            "input 'x': expected f32[N, 3], got f64[2, 3]");
  EXPECT_EQ(g.err({{"x", Tensor(DType::F32, {6})}, {"z", zz}}),
            "input 'x': expected f32[N, 3], got f32[6]");
  EXPECT_EQ(g.err({{"x", good}, {"z", Tensor(DType::F32, {3})}}),
            "input 'z': expected f32[N], got f32[3] (N = 2 from input 'x')");
  EXPECT_EQ(g.err({{"x", good}}), "missing input 'z' of type f32[N]");
  EXPECT_EQ(g.err({{"x", good}, {"z", zz}, {"w", zz}}),
            "unknown input 'w' (the graph's inputs are 'x', 'z')");
  EXPECT_TRUE(bool(g.run({{"x", good}, {"z", zz}})));
}

TEST(InterpDriver, SymbolicBroadcastIsCheckedAtRunTime) {
  // Inference lets N meet a static 3 (N must be 3 then); the run checks it.
  G g;
  Value *x = g.in("x", DType::F32, {Dim("N")});
  Value *c = g.cst("c", F({3}, {1, 2, 3}));
  g.out(g.op(OpKind::Add, {x, c}, {}, "sum"));
  EXPECT_EQ(g.err({{"x", F({2}, {1, 1})}}),
            "node 'sum' (Add): shapes [2] and [3] do not broadcast");
  auto r = g.ok({{"x", F({3}, {1, 1, 1})}});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {3}, {2, 3, 4});
}

TEST(InterpDriver, ParamsFromDataAndInitializers) {
  G g;
  Value *x = g.in("x", DType::F32, {Dim(2)});
  Value *w = g.g.addParam("w", {DType::F32, {Dim(2)}});
  w->data = F({2}, {3, 4});
  Value *k = g.g.addParam("k", {DType::F32, {Dim(2)}});
  k->init.kind = "constant";
  k->init.args["value"] = 0.5;
  g.out(g.op(OpKind::Mul, {g.op(OpKind::Add, {x, w}, {}, "s"), k}, {}, "p"));
  g.out(x); // an input as an output comes back as a copy
  Tensor in = F({2}, {1, 2});
  auto r = g.ok({{"x", in}});
  ASSERT_EQ(r.size(), 2u);
  expectValues(r[0], {2}, {2, 3});
  EXPECT_TRUE(r[1].sameBytes(in));
  EXPECT_NE(r[1].raw(), in.raw());
  // A param whose data has the wrong shape is reported by name.
  w->data = F({3}, {1, 2, 3});
  EXPECT_EQ(g.err({{"x", in}}), "param 'w': expected f32[2], got f32[3]");
}

TEST(InterpDriver, MalformedGraphIsAnErrorNotACrash) {
  // Nodes added without Builder skip inference and the verifier.
  G g;
  Value *x = g.in("x", DType::F32, {Dim(2)});
  Node *n = g.g.addNode(OpKind::Add, "bad", {x}, {}, {"y"});
  g.out(n->outputs[0]);
  EXPECT_EQ(g.err({{"x", F({2}, {1, 2})}}), "node 'bad' (Add): has 1 inputs");
  // A declared output type that disagrees with the op is caught as well.
  G h;
  Value *a = h.in("a", DType::F32, {Dim(2)});
  Node *m = h.g.addNode(OpKind::Relu, "r", {a}, {}, {"y"});
  m->outputs[0]->type = {DType::F32, {Dim(3)}};
  h.out(m->outputs[0]);
  EXPECT_EQ(h.err({{"a", F({2}, {1, 2})}}),
            "node 'r' (Relu): output 'y': expected f32[3], got f32[2]");
}
