// Gradient rules of element-wise, reduction and movement ops against central
// finite differences in double precision (GradCheck.h).
#include "GradCheck.h"

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
  auto g = dlc::parseDlg("graph t {\n  param a: f64[4] = normal(seed=1)\n"
                         "  s = Sin(a)\n  c = Cos(s)\n  c2 = Cos(c)\n  l = ReduceSum(c2) {keepdims=0}\n"
                         "  output l\n}\n", "t.dlg", "");
  ASSERT_TRUE(bool(g));
  dlc::Value *a = (*g)->lookup("a");
  auto r = dlc::buildGradients(**g, (*g)->lookup("l"), {a});
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(r.error().message(),
            "no gradient rule for Sin (node 's'); Cos (nodes 'c', 'c2')");
}
