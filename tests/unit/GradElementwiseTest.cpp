// Gradient rules of element-wise, reduction and movement ops against central
// finite differences in double precision (GradCheck.h).
#include "GradCheck.h"

#include <cmath>

using dlc::test::checkGradients;

namespace {

// A graph with two f64 params a and b and one node `y = op(a, b)`.
std::string binary(const std::string &op, const std::string &aShape,
                   const std::string &bShape,
                   const std::string &bInit = "normal(seed=2)") {
  return "graph t {\n"
         "  param a: f64" + aShape + " = normal(seed=1)\n"
         "  param b: f64" + bShape + " = " + bInit + "\n"
         "  y = " + op + "(a, b)\n"
         "  output y\n}\n";
}

std::string unary(const std::string &op, const std::string &shape,
                  const std::string &init = "normal(seed=3)", const std::string &attrs = "") {
  return "graph t {\n"
         "  param a: f64" + shape + " = " + init + "\n"
         "  y = " + op + "(a)" + attrs + "\n"
         "  output y\n}\n";
}

// dL/dp for every trainable param p of `text`, with L = sum of output y: the
// gradients at exact points (kinks, ties, zeros) that finite differences
// cannot see. Params in declaration order.
std::vector<std::vector<double>> gradientsAt(const std::string &text) {
  auto g = dlc::parseDlg(text, "t.dlg", "");
  EXPECT_TRUE(bool(g)) << g.error().message();
  if (!g)
    return {};
  std::vector<dlc::Value *> wrt;
  for (dlc::Value *p : (*g)->params())
    if (p->trainable)
      wrt.push_back(p);
  dlc::Builder b(**g);
  auto loss = b.add(dlc::OpKind::ReduceSum, {(*g)->lookup("y")},
                    {{"keepdims", dlc::Attr::ofInt(0)}}, "loss");
  EXPECT_TRUE(bool(loss));
  auto grads = dlc::buildGradients(**g, *loss, wrt);
  EXPECT_TRUE(bool(grads)) << grads.error().message();
  if (!grads)
    return {};
  (*g)->outputs().clear();
  for (dlc::Value *p : wrt)
    (*g)->addOutput("grad." + p->name, grads->at(p));
  auto run = dlc::interpret(**g, {});
  EXPECT_TRUE(bool(run)) << run.error().message();
  std::vector<std::vector<double>> out;
  for (const dlc::Tensor &t : run ? run->outputs : std::vector<dlc::Tensor>{}) {
    out.emplace_back();
    for (int64_t i = 0; i < t.numel(); ++i)
      out.back().push_back(t.getDouble(i));
  }
  return out;
}

using Grads = std::vector<std::vector<double>>;

} // namespace

TEST(GradElementwise, AddSubMulDivWithBroadcasting) {
  for (const char *op : {"Add", "Sub", "Mul"}) {
    SCOPED_TRACE(op);
    checkGradients(binary(op, "[2, 3, 4]", "[3, 1]"));
    checkGradients(binary(op, "[1, 5]", "[4, 1]"));
    checkGradients(binary(op, "[3]", "[]"));
  }
  checkGradients(binary("Div", "[2, 3]", "[3]", "uniform(low=0.5, high=2.0, seed=2)"));
}

TEST(GradElementwise, UnaryMath) {
  checkGradients(unary("Neg", "[7]"));
  checkGradients(unary("Exp", "[2, 5]"));
  checkGradients(unary("Log", "[6]", "uniform(low=0.5, high=3.0, seed=4)"));
  checkGradients(unary("Sigmoid", "[3, 3]"));
  checkGradients(unary("Tanh", "[9]"));
  // Away from the kinks at 0 the derivative is exact.
  checkGradients(unary("Abs", "[2, 4]", "uniform(low=0.1, high=1.0, seed=5)"));
  checkGradients(unary("Relu", "[5, 2]"));
}

TEST(GradElementwise, ValueUsedTwiceSumsItsAdjoints) {
  checkGradients("graph t {\n  param a: f64[4] = normal(seed=1)\n"
                 "  s = Mul(a, a)\n  e = Exp(a)\n  y = Add(s, e)\n  output y\n}\n");
}

TEST(GradReduce, SumAndMean) {
  checkGradients(unary("ReduceSum", "[2, 3, 4]", "normal(seed=1)", " {axes=[1]}"));
  checkGradients(unary("ReduceSum", "[2, 3, 4]", "normal(seed=1)", " {axes=[0, 2], keepdims=0}"));
  checkGradients(unary("ReduceMean", "[3, 5]", "normal(seed=2)", " {axes=[-1], keepdims=0}"));
  checkGradients(unary("ReduceMean", "[3, 5]", "normal(seed=2)"));
}

TEST(GradMovement, Reshape) {
  checkGradients(unary("Reshape", "[2, 6]", "normal(seed=1)", " {shape=[3, 4]}"));
}

TEST(GradNN, MatMulAllTransposesAndBatches) {
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      SCOPED_TRACE("transA=" + std::to_string(ta) + " transB=" + std::to_string(tb));
      std::string a = ta ? "[5, 3]" : "[3, 5]", b = tb ? "[4, 5]" : "[5, 4]";
      checkGradients("graph t {\n  param a: f64" + a + " = normal(seed=1)\n"
                     "  param b: f64" + b + " = normal(seed=2)\n"
                     "  y = MatMul(a, b) {transA=" + std::to_string(ta) +
                     ", transB=" + std::to_string(tb) + "}\n  output y\n}\n");
    }
  checkGradients(binary("MatMul", "[2, 1, 3, 4]", "[3, 4, 2]"));
  checkGradients(binary("MatMul", "[4]", "[4, 3]"));
  checkGradients(binary("MatMul", "[2, 4]", "[4]"));
  checkGradients(binary("MatMul", "[4]", "[4]"));
}

TEST(Autodiff, MissingRulesAreListedAtOnce) {
  // Mod has no rule; nor have the gradient ops (no second derivatives).
  auto g = dlc::parseDlg("graph t {\n  param a: f64[4] = normal(seed=1)\n"
                         "  s = Mod(a, a)\n  c = Mod(s, a)\n"
                         "  p = PadGrad(c, c) {pads=[0, 0]}\n  l = ReduceSum(p) {keepdims=0}\n"
                         "  output l\n}\n", "t.dlg", "");
  ASSERT_TRUE(bool(g));
  dlc::Value *a = (*g)->lookup("a");
  auto r = dlc::buildGradients(**g, (*g)->lookup("l"), {a});
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(r.error().message(),
            "no gradient rule for Mod (nodes 's', 'c'); PadGrad (node 'p')");
}

TEST(GradElementwise, MoreUnaryMath) {
  checkGradients(unary("Sqrt", "[2, 3]", "uniform(low=0.5, high=3.0, seed=4)"));
  checkGradients(unary("Reciprocal", "[7]", "uniform(low=0.5, high=2.0, seed=4)"));
  checkGradients(unary("Reciprocal", "[3]", "uniform(low=-2.0, high=-0.5, seed=5)"));
  checkGradients(unary("Sin", "[3, 5]"));
  checkGradients(unary("Cos", "[3, 5]"));
  checkGradients(unary("Erf", "[11]"));
  checkGradients(unary("Softplus", "[2, 5]"));
  checkGradients(unary("Softplus", "[2, 5]", "normal(seed=6)", " {beta=2.5}"));
  checkGradients(unary("Softplus", "[4]", "normal(seed=6)", " {beta=0.3}"));
}

TEST(GradElementwise, PiecewiseUnaryAwayFromKinks) {
  // normal(std=2) puts elements on both sides of 0 and of the clip bounds;
  // none lies within h of a kink.
  const char *init = "normal(std=2.0, seed=7)";
  checkGradients(unary("Elu", "[3, 5]", init));
  checkGradients(unary("Elu", "[3, 5]", init, " {alpha=0.7}"));
  checkGradients(unary("LeakyRelu", "[3, 5]", init));
  checkGradients(unary("LeakyRelu", "[3, 5]", init, " {alpha=0.2}"));
  checkGradients(unary("Clip", "[3, 5]", init, " {min=-0.5, max=0.7}"));
  checkGradients(unary("Clip", "[3, 5]", init, " {min=-0.5}"));
  checkGradients(unary("Clip", "[3, 5]", init, " {max=0.7}"));
  checkGradients(unary("Clip", "[3, 5]", init));
}

TEST(GradElementwise, PiecewiseUnaryAtKinks) {
  auto at = [](const std::string &op, const std::string &attrs) {
    return gradientsAt("graph t {\n  param a: f64[5] = [-1.0, -0.5, 0.0, 0.7, 2.0]\n"
                       "  y = " + op + "(a)" + attrs + "\n  output y\n}\n");
  };
  // The bounds pass the gradient, as PyTorch's clamp.
  EXPECT_EQ(at("Clip", " {min=-0.5, max=0.7}"), (Grads{{0, 1, 1, 1, 0}}));
  // At 0: alpha, as PyTorch.
  EXPECT_EQ(at("LeakyRelu", " {alpha=0.25}"), (Grads{{0.25, 0.25, 0.25, 1, 1}}));
  Grads elu = at("Elu", " {alpha=0.5}");
  ASSERT_EQ(elu.size(), 1u);
  EXPECT_DOUBLE_EQ(elu[0][0], 0.5 * std::exp(-1.0));
  EXPECT_DOUBLE_EQ(elu[0][2], 0.5);
  EXPECT_DOUBLE_EQ(elu[0][4], 1.0);
}

TEST(GradElementwise, PowBothInputs) {
  // d/db = y log(a) needs a > 0.
  const char *pos = "uniform(low=0.5, high=2.0, seed=1)";
  checkGradients("graph t {\n  param a: f64[2, 3] = " + std::string(pos) + "\n"
                 "  param b: f64[3] = normal(seed=2)\n  y = Pow(a, b)\n  output y\n}\n");
  checkGradients("graph t {\n  param a: f64[4, 1] = " + std::string(pos) + "\n"
                 "  param b: f64[3] = normal(seed=2)\n  y = Pow(a, b)\n  output y\n}\n");
  // A negative base with an integral exponent: only a has a gradient.
  checkGradients("graph t {\n  param a: f64[5] = uniform(low=-2.0, high=-0.5, seed=3)\n"
                 "  const b: f64[] = 3.0\n  y = Pow(a, b)\n  output y\n}\n");
  // At a = 0 and b = 0 the gradients are PyTorch's zeros, not NaN.
  Grads g = gradientsAt("graph t {\n  param a: f64[3] = [0.0, 0.0, 2.0]\n"
                        "  param b: f64[3] = [0.0, 2.0, 3.0]\n  y = Pow(a, b)\n"
                        "  output y\n}\n");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0], (std::vector<double>{0, 0, 12}));
  EXPECT_EQ(g[1][0], 0);
  EXPECT_EQ(g[1][1], 0);
  EXPECT_DOUBLE_EQ(g[1][2], 8 * std::log(2.0));
}

TEST(GradElementwise, MaxMinWithBroadcasting) {
  for (const char *op : {"Max", "Min"}) {
    SCOPED_TRACE(op);
    checkGradients(binary(op, "[2, 3, 4]", "[3, 1]"));
    checkGradients(binary(op, "[5]", "[]"));
    checkGradients(binary(op, "[1, 3]", "[3, 1]"));
  }
  // Ties split dy in halves, as torch.maximum / torch.minimum.
  std::string tie = "graph t {\n  param a: f64[3] = [1.0, 2.0, 3.0]\n"
                    "  param b: f64[3] = [1.0, 3.0, 2.0]\n  y = OP(a, b)\n  output y\n}\n";
  auto with = [&](const std::string &op) {
    std::string t = tie;
    return gradientsAt(t.replace(t.find("OP"), 2, op));
  };
  EXPECT_EQ(with("Max"), (Grads{{0.5, 0, 1}, {0.5, 1, 0}}));
  EXPECT_EQ(with("Min"), (Grads{{0.5, 1, 0}, {0.5, 0, 1}}));
  // One tie broadcast against three elements: b gets 1/2 + 1 + 0.
  EXPECT_EQ(gradientsAt("graph t {\n  param a: f64[3] = [1.0, 2.0, 3.0]\n"
                        "  param b: f64[] = 2.0\n  y = Max(a, b)\n  output y\n}\n"),
            (Grads{{0, 0.5, 1}, {1.5}}));
}

TEST(GradElementwise, WhereToTheSelectedBranch) {
  // The condition comes from the params themselves: it is bool and gets no
  // gradient, but picks which branch does.
  checkGradients("graph t {\n  param a: f64[3, 4] = normal(seed=1)\n"
                 "  param b: f64[2, 3, 1] = normal(seed=2)\n"
                 "  param k: f64[2, 1, 4] frozen = normal(seed=3)\n"
                 "  const z: f64[] = 0.0\n  c = Greater(k, z)\n"
                 "  y = Where(c, a, b)\n  output y\n}\n");
  checkGradients("graph t {\n  param a: f64[6] = normal(seed=1)\n"
                 "  param b: f64[6] = normal(seed=2)\n  c = Less(a, b)\n"
                 "  y = Where(c, a, b)\n  output y\n}\n");
}

TEST(GradElementwise, CastBetweenFloats) {
  // Through f32: rounding to f32 limits the finite difference, hence the
  // larger step and tolerance; the rule itself is exact.
  dlc::test::GradCheckOptions loose;
  loose.h = 1e-3;
  loose.rtol = 1e-3;
  loose.atol = 1e-3;
  checkGradients("graph t {\n  param a: f64[2, 3] = normal(seed=1)\n"
                 "  s = Cast(a) {to=\"f32\"}\n  q = Mul(s, s)\n"
                 "  y = Cast(q) {to=\"f64\"}\n  output y\n}\n", loose);
  checkGradients(unary("Cast", "[4]", "normal(seed=2)", " {to=\"f64\"}"));
}

TEST(GradElementwise, PiecewiseConstantOpsHaveZeroGradient) {
  // floor(a) * a: only the second factor carries a gradient (floor(a)).
  for (const char *op : {"Floor", "Ceil", "Round", "Sign"}) {
    SCOPED_TRACE(op);
    checkGradients("graph t {\n  param a: f64[7] = normal(std=3.0, seed=4)\n"
                   "  f = " + std::string(op) + "(a)\n  y = Mul(f, a)\n  output y\n}\n");
    // A param reached only through the op gets zeros; b still gets floor(a).
    checkGradients("graph t {\n  param a: f64[7] = normal(std=3.0, seed=4)\n"
                   "  param b: f64[7] = normal(seed=5)\n"
                   "  f = " + std::string(op) + "(a)\n  y = Mul(f, b)\n  output y\n}\n");
  }
  EXPECT_EQ(gradientsAt("graph t {\n  param a: f64[2] = [0.5, -1.5]\n"
                        "  y = Floor(a)\n  output y\n}\n"),
            (Grads{{0, 0}}));
}

TEST(GradReduce, MaxMinProd) {
  for (const char *op : {"ReduceMax", "ReduceMin", "ReduceProd"}) {
    SCOPED_TRACE(op);
    std::string init = std::string(op) == "ReduceProd"
                           ? "uniform(low=0.5, high=1.5, seed=3)"
                           : "normal(seed=3)";
    checkGradients(unary(op, "[3, 5, 7]", init, " {axes=[1]}"));
    checkGradients(unary(op, "[3, 5, 7]", init, " {axes=[-1], keepdims=0}"));
    checkGradients(unary(op, "[3, 5, 7]", init, " {axes=[0, -1], keepdims=0}"));
    checkGradients(unary(op, "[3, 5]", init));
    checkGradients(unary(op, "[3, 5]", init, " {keepdims=0}"));
    checkGradients(unary(op, "[1]", init, " {axes=[0]}"));
  }
}

TEST(GradReduce, MaxMinSplitTiesEvenly) {
  // As torch.amax / torch.amin.
  std::string x = "  param a: f64[2, 3] = [1.0, 3.0, 3.0, 2.0, 0.0, -1.0]\n";
  EXPECT_EQ(gradientsAt("graph t {\n" + x + "  y = ReduceMax(a) {axes=[1]}\n  output y\n}\n"),
            (Grads{{0, 0.5, 0.5, 1, 0, 0}}));
  EXPECT_EQ(gradientsAt("graph t {\n" + x + "  y = ReduceMin(a) {axes=[-2], keepdims=0}\n"
                        "  output y\n}\n"),
            (Grads{{1, 0, 0, 0, 1, 1}}));
  std::string same = "  param a: f64[4] = [2.0, 2.0, 2.0, 2.0]\n";
  EXPECT_EQ(gradientsAt("graph t {\n" + same + "  y = ReduceMax(a) {keepdims=0}\n  output y\n}\n"),
            (Grads{{0.25, 0.25, 0.25, 0.25}}));
}

TEST(GradReduce, ProdWithZeros) {
  // The product is linear in each element, so central differences are exact
  // even at zeros: rows with no zero, one zero, two zeros.
  std::string x = "  param a: f64[3, 3] = [1.5, 2.0, -3.0, 0.0, 2.0, 5.0, 0.0, 0.0, 4.0]\n";
  checkGradients("graph t {\n" + x + "  y = ReduceProd(a) {axes=[1]}\n  output y\n}\n");
  checkGradients("graph t {\n" + x + "  y = ReduceProd(a) {axes=[-1], keepdims=0}\n"
                 "  output y\n}\n");
  checkGradients("graph t {\n" + x + "  y = ReduceProd(a) {axes=[0]}\n  output y\n}\n");
  EXPECT_EQ(gradientsAt("graph t {\n" + x + "  y = ReduceProd(a) {axes=[1]}\n  output y\n}\n"),
            (Grads{{-6, -4.5, 3, 10, 0, 0, 0, 0, 0}}));
}
