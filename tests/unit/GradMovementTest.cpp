// Gradient rules of the data-movement ops against central finite differences
// (GradCheck.h), and the reference kernels of PadGrad and GatherGrad against
// hand-computed values. Movement is linear, so the differences are exact up to
// rounding and every cell of the adjoint is checked.
#include "GradCheck.h"

using dlc::test::checkGradients;

namespace {

// One f64 param `a` of `shape` and `y = op(a) {attrs}`.
std::string moved(const std::string &op, const std::string &shape,
                  const std::string &attrs, const std::string &extra = "") {
  return "graph t {\n  param a: f64" + shape + " = normal(seed=1)\n" + extra +
         "  y = " + op + "(a" + (extra.empty() ? "" : ", i") + ") {" + attrs +
         "}\n  output y\n}\n";
}

// Runs `text` (no inputs) and returns output 0.
std::vector<double> run(const std::string &text) {
  auto g = dlc::parseDlg(text, "t.dlg", "");
  EXPECT_TRUE(bool(g)) << g.error().message();
  if (!g)
    return {};
  auto r = dlc::interpret(**g, {});
  EXPECT_TRUE(bool(r)) << r.error().message();
  std::vector<double> out;
  if (r)
    for (int64_t i = 0; i < r->outputs[0].numel(); ++i)
      out.push_back(r->outputs[0].getDouble(i));
  return out;
}

} // namespace

TEST(GradMovement, Transpose) {
  checkGradients(moved("Transpose", "[2, 3, 5]", "perm=[2, 0, 1]"));
  checkGradients(moved("Transpose", "[2, 3, 5]", "perm=[1, 2, 0]"));
  checkGradients(moved("Transpose", "[3, 5]", ""));
}

TEST(GradMovement, Concat) {
  for (const char *axis : {"0", "1", "-1"}) {
    SCOPED_TRACE(axis);
    checkGradients("graph t {\n  param a: f64[3, 5] = normal(seed=1)\n"
                   "  param b: f64[3, 5] = normal(seed=2)\n"
                   "  param c: f64[3, 5] = normal(seed=3)\n"
                   "  y = Concat(a, b, c, a) {axis=" + std::string(axis) +
                   "}\n  output y\n}\n");
  }
  checkGradients("graph t {\n  param a: f64[2, 1, 3] = normal(seed=1)\n"
                 "  param b: f64[2, 4, 3] = normal(seed=2)\n"
                 "  y = Concat(a, b) {axis=-2}\n  output y\n}\n");
  checkGradients(moved("Concat", "[7]", "axis=0"));
}

TEST(GradMovement, SplitWithUnusedOutputs) {
  checkGradients("graph t {\n  param a: f64[3, 6] = normal(seed=1)\n"
                 "  s1, s2, s3 = Split(a) {axis=-1, split=[1, 3, 2]}\n"
                 "  output s1\n  output s3\n}\n");
  checkGradients("graph t {\n  param a: f64[6, 5] = normal(seed=1)\n"
                 "  s1, s2, s3 = Split(a)\n  y = Mul(s2, s3)\n  output y\n}\n");
  checkGradients("graph t {\n  param a: f64[4, 3] = normal(seed=1)\n"
                 "  s1, s2 = Split(a) {split=[0, 4]}\n  output s2\n}\n");
}

TEST(GradMovement, SliceStepsOfOne) {
  checkGradients(moved("Slice", "[5, 7]", "starts=[1, 2], ends=[4, 6]"));
  // Negative starts, ends clamped past the end, negative axes.
  checkGradients(moved("Slice", "[5, 7]", "starts=[-4], ends=[100], axes=[-1]"));
  checkGradients(moved("Slice", "[5, 7]", "starts=[-100, 2], ends=[-1, 3], axes=[0, 1]"));
  checkGradients(moved("Slice", "[3, 4, 5]", "starts=[0], ends=[2], axes=[1]"));
  // An empty slice: the gradient is all zeros.
  checkGradients(moved("Slice", "[5, 7]", "starts=[3], ends=[1]"));
}

TEST(GradMovement, SliceOtherSteps) {
  checkGradients(moved("Slice", "[9]", "starts=[1], ends=[8], steps=[2]"));
  checkGradients(moved("Slice", "[10]", "starts=[0], ends=[100], steps=[3]"));
  checkGradients(moved("Slice", "[7]", "starts=[-1], ends=[-100], steps=[-1]"));
  checkGradients(moved("Slice", "[8]", "starts=[100], ends=[0], steps=[-2]"));
  checkGradients(moved("Slice", "[11]", "starts=[9], ends=[-12], steps=[-3]"));
  checkGradients(moved("Slice", "[5, 9, 4]",
                       "starts=[4, 1, -1], ends=[-100, 100, 0], axes=[0, -2, 2], "
                       "steps=[-2, 3, -1]"));
  checkGradients(moved("Slice", "[5, 9]", "starts=[0], ends=[5], axes=[0], steps=[7]"));
}

TEST(GradMovement, PadEveryMode) {
  for (const char *mode : {"constant", "reflect", "edge", "wrap"}) {
    SCOPED_TRACE(mode);
    std::string m = "mode=\"" + std::string(mode) + "\", ";
    checkGradients(moved("Pad", "[3, 5]", m + "pads=[1, 2, 2, 3]"));
    checkGradients(moved("Pad", "[2, 3, 5]", m + "pads=[0, 0, 4, 0, 1, 0]"));
    // Negative pads crop.
    checkGradients(moved("Pad", "[4, 5]", m + "pads=[-1, 2, 1, -2]"));
    checkGradients(moved("Pad", "[1, 5]", m + "pads=[0, 0, 0, 0]"));
  }
  // Edge and wrap may pad more than the dim (wrap goes round several times).
  checkGradients(moved("Pad", "[2, 3]", "mode=\"wrap\", pads=[3, 7, 5, 1]"));
  checkGradients(moved("Pad", "[2, 3]", "mode=\"edge\", pads=[3, 7, 5, 1]"));
  checkGradients(moved("Pad", "[2, 3]", "value=1.5, pads=[3, 0, 0, 1]"));
}

TEST(GradMovement, ExpandAndTile) {
  checkGradients(moved("Expand", "[3, 1]", "shape=[2, 3, 5]"));
  checkGradients(moved("Expand", "[]", "shape=[5]"));
  checkGradients(moved("Expand", "[1, 4]", "shape=[3, 1]"));
  checkGradients(moved("Tile", "[2, 3]", "repeats=[3, 2]"));
  checkGradients(moved("Tile", "[1, 3, 2]", "repeats=[2, 1, 3]"));
  checkGradients(moved("Tile", "[5]", "repeats=[1]"));
  checkGradients(moved("Tile", "[2, 3]", "repeats=[0, 2]"));
}

TEST(GradMovement, GatherRepeatedAndNegativeIndices) {
  checkGradients(moved("Gather", "[5, 3]", "",
                       "  const i: i64[6] = [0, -1, 2, 0, -1, 0]\n"));
  checkGradients(moved("Gather", "[2, 5, 3]", "axis=-2",
                       "  const i: i64[2, 3] = [4, 4, -5, 1, 0, 4]\n"));
  checkGradients(moved("Gather", "[2, 3, 4]", "axis=2",
                       "  const i: i32[] = -1\n"));
}

TEST(GradKernels, PadGradSumsOntoTheSourceCells) {
  auto padGrad = [](const std::string &attrs) {
    return run("graph t {\n  const x: f64[3] = [0.0, 0.0, 0.0]\n"
               "  const dy: f64[6] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]\n"
               "  y = PadGrad(x, dy) {" + attrs + "}\n  output y\n}\n");
  };
  // Pad [a b c] by 2 before and 1 after:
  //   constant: 0 0 a b c 0   reflect: c b a b c b
  //   edge:     a a a b c c   wrap:    b c a b c a
  EXPECT_EQ(padGrad("pads=[2, 1]"), (std::vector<double>{4, 8, 16}));
  EXPECT_EQ(padGrad("mode=\"reflect\", pads=[2, 1]"), (std::vector<double>{4, 2 + 8 + 32, 1 + 16}));
  EXPECT_EQ(padGrad("mode=\"edge\", pads=[2, 1]"), (std::vector<double>{1 + 2 + 4, 8, 16 + 32}));
  EXPECT_EQ(padGrad("mode=\"wrap\", pads=[2, 1]"), (std::vector<double>{4 + 32, 1 + 8, 2 + 16}));
  // Cropped cells get 0: [a b c] padded by -1, 4 is b c 0 0 0 0.
  EXPECT_EQ(padGrad("pads=[-1, 4]"), (std::vector<double>{0, 1, 2}));
}

TEST(GradKernels, GatherGradScatterAdds) {
  auto gatherGrad = [](const std::string &indices) {
    return run("graph t {\n  const x: f64[2, 3] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]\n"
               "  const i: i64[4] = " + indices + "\n"
               "  const dy: f64[2, 4] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]\n"
               "  y = GatherGrad(x, i, dy) {axis=-1}\n  output y\n}\n");
  };
  EXPECT_EQ(gatherGrad("[2, -1, 0, -3]"), (std::vector<double>{4 + 8, 0, 1 + 2, 64 + 128, 0, 16 + 32}));
  auto g = dlc::parseDlg("graph t {\n  const x: f64[2, 3] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]\n"
                         "  const i: i64[4] = [0, 3, 0, 0]\n"
                         "  const dy: f64[2, 4] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]\n"
                         "  y = GatherGrad(x, i, dy) {axis=1} @gg\n  output y\n}\n",
                         "t.dlg", "");
  ASSERT_TRUE(bool(g)) << g.error().message();
  auto r = dlc::interpret(**g, {});
  ASSERT_FALSE(bool(r));
  EXPECT_NE(r.error().message().find("index 3 is out of range for axis 1 of size 3"),
            std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("(GatherGrad)"), std::string::npos) << r.error().message();
}
