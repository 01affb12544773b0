// Gradient rules of the neural-network layers (Conv, ConvTranspose, MaxPool,
// AveragePool, BatchNorm, Dropout, Softmax, LogSoftmax) against central
// finite differences in double precision (GradCheck.h, its default
// tolerances: rtol 1e-5, atol 1e-7, h 1e-6), and the reference kernels of
// the gradient ops (ConvGradWeight, MaxPoolGrad, AveragePoolGrad,
// BatchNormGrad) against PyTorch's autograd in float64 once (rtol 1e-10,
// atol 1e-12: summation order only). PyTorch runs in one batch through
// Debian's /usr/bin/python3; those tests skip when it cannot import torch.
//
// Max-pool inputs are permutations of distinct values 0.1 apart, so no
// window has a tie and a step of h never changes a window's maximum: the
// finite difference is well defined.
#include "GradCheck.h"
#include "TorchOracle.h"

#include "dlrt/Npy.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#ifndef DLC_PYTHON
#define DLC_PYTHON "/usr/bin/python3"
#endif

using namespace dlc;
using dlc::test::checkGradients;
namespace fs = std::filesystem;

namespace {

using Ints = std::vector<int64_t>;

std::string list(const Ints &v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// A param declaration: f64 with the given shape and initializer.
std::string param(const std::string &name, const Ints &shape, const std::string &init) {
  return "  param " + name + ": f64" + list(shape) + " = " + init + "\n";
}

// A graph with the given declarations, one node line and output y.
std::string graph(const std::string &decls, const std::string &node) {
  return "graph t {\n" + decls + "  " + node + "\n  output y\n}\n";
}

// A literal of n distinct values: a random permutation of 0.1 * (k - n/2).
std::string distinct(int64_t n, unsigned seed) {
  std::vector<int64_t> perm(n);
  for (int64_t k = 0; k < n; ++k)
    perm[k] = k - n / 2;
  std::shuffle(perm.begin(), perm.end(), std::mt19937(seed));
  std::string s = "[";
  for (int64_t k = 0; k < n; ++k)
    s += (k ? ", " : "") + std::to_string(perm[k]) + "e-1";
  return s + "]";
}

int64_t numel(const Ints &s) {
  int64_t n = 1;
  for (int64_t d : s)
    n *= d;
  return n;
}

struct ConvCase {
  Ints x, w;
  int64_t group;
  bool bias;
  std::string attrs; // besides group
};

void checkConvLike(const std::string &op, const ConvCase &c) {
  std::string attrs = (c.group == 1 ? "" : "group=" + std::to_string(c.group) + ", ") + c.attrs;
  SCOPED_TRACE(op + " x" + list(c.x) + " w" + list(c.w) + " {" + attrs + "}");
  std::string decls = param("x", c.x, "normal(seed=1)") + param("w", c.w, "normal(seed=2)");
  // Output channels: Conv's w is [O, C/group, k...], ConvTranspose's [C, O/group, k...].
  int64_t outC = op == "Conv" ? c.w[0] : c.w[1] * c.group;
  if (c.bias)
    decls += param("b", {outC}, "normal(seed=3)");
  checkGradients(graph(decls, "y = " + op + "(x, w" + (c.bias ? ", b)" : ")") + " {" +
                                  attrs + "}"));
}

} // namespace

TEST(GradNN, Conv) {
  std::vector<ConvCase> cases = {
      {{2, 3, 5, 5}, {4, 3, 3, 3}, 1, true, "pads=[1, 1, 1, 1]"},
      // Stride 2 on odd sizes with asymmetric pads: output_padding 1 and 0.
      {{1, 2, 7, 6}, {3, 2, 3, 3}, 1, true, "pads=[1, 0, 0, 1], strides=[2, 2]"},
      {{1, 4, 7, 8}, {4, 2, 2, 3}, 2, false, "dilations=[2, 2], strides=[1, 2]"},
      // Depthwise.
      {{2, 3, 6, 5}, {3, 1, 3, 3}, 3, true, "pads=[1, 1, 1, 1], strides=[2, 2]"},
      // 1-D, stride 2, dilation 2, asymmetric pads.
      {{2, 2, 9}, {3, 2, 3}, 1, true, "dilations=[2], pads=[2, 1], strides=[2]"},
      // 3-D, groups, asymmetric pads.
      {{1, 2, 4, 5, 3}, {2, 1, 2, 3, 2}, 2, true,
       "pads=[1, 0, 1, 0, 1, 0], strides=[2, 1, 1]"},
  };
  for (const ConvCase &c : cases)
    checkConvLike("Conv", c);
}

TEST(GradNN, ConvTranspose) {
  std::vector<ConvCase> cases = {
      {{1, 2, 3, 4}, {2, 3, 3, 3}, 1, true,
       "output_padding=[1, 0], pads=[1, 1, 1, 1], strides=[2, 2]"},
      {{2, 4, 3, 3}, {4, 1, 2, 2}, 2, true,
       "dilations=[1, 2], pads=[0, 1, 1, 0], strides=[2, 1]"},
      // Depthwise.
      {{1, 3, 4, 3}, {3, 1, 3, 2}, 3, false, "strides=[2, 2]"},
      // 1-D with output_padding 2 under stride 3.
      {{1, 3, 5}, {3, 2, 3}, 1, true, "output_padding=[2], pads=[1, 0], strides=[3]"},
      // 3-D, groups.
      {{1, 2, 2, 3, 2}, {2, 2, 2, 2, 2}, 2, true, "strides=[2, 1, 2]"},
      // output_padding >= stride (allowed below the dilation).
      {{1, 2, 4, 3}, {2, 2, 2, 3}, 1, true,
       "dilations=[3, 2], output_padding=[2, 1], strides=[1, 1]"},
  };
  for (const ConvCase &c : cases)
    checkConvLike("ConvTranspose", c);
}

struct PoolCase {
  Ints x;
  std::string attrs;
};

TEST(GradNN, MaxPool) {
  std::vector<PoolCase> cases = {
      // Overlapping windows, padding (values are negative too: padding
      // never wins).
      {{2, 2, 6, 7}, "kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]"},
      {{1, 2, 7, 8}, "ceil_mode=1, dilations=[1, 2], kernel_shape=[3, 2], "
                     "pads=[0, 1, 1, 0], strides=[2, 3]"},
      {{2, 3, 11}, "ceil_mode=1, kernel_shape=[4], pads=[1, 2], strides=[3]"},
      {{1, 2, 4, 5, 5}, "kernel_shape=[2, 2, 3], strides=[1, 2, 2]"},
  };
  unsigned seed = 1;
  for (const PoolCase &c : cases) {
    SCOPED_TRACE(list(c.x) + " " + c.attrs);
    checkGradients(graph(param("x", c.x, distinct(numel(c.x), seed++)),
                         "y = MaxPool(x) {" + c.attrs + "}"));
  }
}

TEST(GradNN, AveragePool) {
  std::vector<PoolCase> cases = {
      {{2, 3, 7, 6}, "kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]"},
      // ceil_mode windows clipped at the padded border.
      {{1, 2, 6, 7}, "ceil_mode=1, kernel_shape=[3, 3], pads=[1, 0, 1, 0], strides=[2, 2]"},
      {{2, 2, 10}, "ceil_mode=1, kernel_shape=[3], pads=[1, 1], strides=[4]"},
      {{1, 2, 3, 5, 4}, "kernel_shape=[2, 3, 2], pads=[0, 1, 1, 1, 1, 0], strides=[1, 2, 2]"},
  };
  for (const PoolCase &c : cases)
    for (const char *cip : {"0", "1"}) {
      SCOPED_TRACE(list(c.x) + " " + c.attrs + " count_include_pad=" + cip);
      checkGradients(graph(param("x", c.x, "normal(seed=4)"),
                           "y = AveragePool(x) {count_include_pad=" + std::string(cip) +
                               ", " + c.attrs + "}"));
    }
}

TEST(GradNN, BatchNormTraining) {
  for (const Ints &x : {Ints{4, 3, 3, 2}, Ints{5, 4}, Ints{2, 2, 3, 2, 2}}) {
    SCOPED_TRACE(list(x));
    Ints c{x[1]};
    std::string decls = param("x", x, "normal(seed=1)") +
                        param("s", c, "uniform(low=0.5, high=2.0, seed=2)") +
                        param("b", c, "normal(seed=3)") + "  state m: f64" + list(c) +
                        " = zeros\n  state v: f64" + list(c) + " = ones\n";
    checkGradients(graph(decls, "y, rm, rv = BatchNorm(x, s, b, m, v) "
                                "{epsilon=0.01, training=1}"));
  }
}

TEST(GradNN, BatchNormEvalIncludingStatistics) {
  for (const Ints &x : {Ints{3, 3, 4, 2}, Ints{4, 5}}) {
    SCOPED_TRACE(list(x));
    Ints c{x[1]};
    std::string decls = param("x", x, "normal(seed=1)") +
                        param("s", c, "uniform(low=0.5, high=2.0, seed=2)") +
                        param("b", c, "normal(seed=3)") + param("m", c, "normal(seed=4)") +
                        param("v", c, "uniform(low=0.5, high=2.0, seed=5)");
    checkGradients(graph(decls, "y = BatchNorm(x, s, b, m, v) {epsilon=0.001}"));
  }
}

TEST(GradNN, Dropout) {
  // A fixed seed and step: the mask does not depend on x, so the finite
  // difference sees the same mask.
  std::string decls = param("x", {3, 4, 5}, "normal(seed=1)") + "  const st: i64[] = 7\n";
  checkGradients(graph(decls, "y, mask = Dropout(x, st) {ratio=0.3, seed=5, training=1}"));
  checkGradients(graph(param("x", {3, 4}, "normal(seed=1)"),
                       "y, mask = Dropout(x) {ratio=0.6, seed=2, training=1}"));
  checkGradients(graph(param("x", {6}, "normal(seed=1)"), "y = Dropout(x) {ratio=0.3}"));
}

TEST(GradNN, DropoutWithoutItsMaskIsAnError) {
  auto g = parseDlg(graph(param("x", {4}, "normal(seed=1)"), "y = Dropout(x) {training=1}"),
                    "t.dlg", "");
  ASSERT_TRUE(bool(g)) << g.error().message();
  Builder b(**g);
  auto l = b.add(OpKind::ReduceSum, {(*g)->lookup("y")}, {{"keepdims", Attr::ofInt(0)}}, "l");
  ASSERT_TRUE(bool(l));
  auto r = buildGradients(**g, *l, {(*g)->lookup("x")});
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(r.error().message(), "internal error in the gradient rule of node 'y' "
                                 "(Dropout): Dropout needs its mask output");
}

TEST(GradNN, SoftmaxAndLogSoftmaxOnSeveralAxes) {
  for (const char *op : {"Softmax", "LogSoftmax"})
    for (int axis : {0, 1, -1}) {
      SCOPED_TRACE(std::string(op) + " axis " + std::to_string(axis));
      checkGradients(graph(param("x", {3, 4, 5}, "normal(seed=6)"),
                           std::string("y = ") + op + "(x) {axis=" + std::to_string(axis) + "}"));
    }
  checkGradients(graph(param("x", {2, 7}, "normal(seed=7)"), "y = LogSoftmax(x)"));
}

// ---------------------------------------------------------------------------
// The Dropout step input.

namespace {

std::vector<bool> dropoutMask(const std::string &stepDecl, const std::string &stepArg) {
  auto g = parseDlg("graph t {\n  input x: f32[64]\n" + stepDecl +
                        "  y, mask = Dropout(x" + stepArg +
                        ") {ratio=0.5, seed=5, training=1}\n  output mask\n}\n",
                    "t.dlg", "");
  EXPECT_TRUE(bool(g)) << g.error().message();
  if (!g)
    return {};
  Tensor x(DType::F32, {64});
  for (int64_t i = 0; i < 64; ++i)
    x.setDouble(i, 1.0);
  auto r = interpret(**g, {{"x", x}});
  EXPECT_TRUE(bool(r)) << r.error().message();
  std::vector<bool> m;
  if (r)
    for (int64_t i = 0; i < 64; ++i)
      m.push_back(r->outputs[0].getDouble(i) != 0);
  return m;
}

} // namespace

TEST(GradNN, DropoutStepInput) {
  // Without a step: splitmix64 of (seed, index) as before the step input
  // existed (these bits were computed from that formula in Python).
  std::vector<bool> none = dropoutMask("", "");
  const char *golden = "0000011011111010001101110100111111010000100011110001100101110101";
  std::string bits;
  for (bool b : none)
    bits += b ? '1' : '0';
  EXPECT_EQ(bits, golden);
  std::vector<bool> s3 = dropoutMask("  const st: i64[] = 3\n", ", st");
  std::vector<bool> s3again = dropoutMask("  const st: i64[] = 3\n", ", st");
  std::vector<bool> s4 = dropoutMask("  const st: i64[] = 4\n", ", st");
  EXPECT_EQ(s3, s3again);
  EXPECT_NE(s3, s4);
  EXPECT_NE(s3, none);
  int kept = 0;
  for (bool b : s4)
    kept += b;
  EXPECT_GT(kept, 16);
  EXPECT_LT(kept, 48);
}

// ---------------------------------------------------------------------------
// The gradient kernels against PyTorch's autograd, float64.

namespace {

using dlc::test::pyTuple;
using dlc::test::TorchCases;


Tensor randomTensor(const Ints &shape, std::mt19937 &rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  Tensor t(DType::F64, shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.setDouble(i, u(rng));
  return t;
}

// One node of `op` over f64 graph inputs x0, x1, ...; its output types.
Expected<std::vector<Tensor>> runOp(OpKind op, const std::vector<Tensor> &ins,
                                    std::map<std::string, Attr> attrs, size_t numOut) {
  Graph g;
  std::vector<Value *> vs;
  std::map<std::string, Tensor> feed;
  for (size_t i = 0; i < ins.size(); ++i) {
    std::string name = "x" + std::to_string(i);
    vs.push_back(g.addInput(name, TensorType::of(DType::F64, ins[i].shape())));
    feed[name] = ins[i];
  }
  std::vector<std::string> names;
  for (size_t j = 0; j < numOut; ++j)
    names.push_back("y" + std::to_string(j));
  DLC_TRY(n, Builder(g).addMulti(op, vs, std::move(attrs), "op", names));
  for (Value *v : n->outputs)
    g.addOutput(v->name, v);
  DLC_TRY(r, interpret(g, feed));
  return r.outputs;
}

// The shape `op` gives for inputs of these shapes (to size dy).
Ints forwardShape(OpKind op, const std::vector<Ints> &shapes,
                  std::map<std::string, Attr> attrs) {
  Graph g;
  std::vector<Value *> vs;
  for (size_t i = 0; i < shapes.size(); ++i)
    vs.push_back(g.addInput("x" + std::to_string(i), TensorType::of(DType::F64, shapes[i])));
  auto y = Builder(g).add(op, vs, std::move(attrs), "y");
  EXPECT_TRUE(bool(y)) << y.error().message();
  return y ? (*y)->type.staticShape() : Ints{};
}



std::string pyBool(int64_t v) { return v ? "True" : "False"; }

// ONNX pads [begins..., ends...] as F.pad's list, last axis first.
std::string torchPad(const Ints &pads) {
  size_t r = pads.size() / 2;
  Ints t;
  for (size_t i = r; i-- > 0;) {
    t.push_back(pads[i]);
    t.push_back(pads[i + r]);
  }
  return pyTuple(t);
}

// One comparison: our op on `ins` against PyTorch case `ref`.
struct Compare {
  OpKind op;
  std::vector<Tensor> ins;
  std::map<std::string, Attr> attrs;
  size_t numOut;
  int ref;
  std::string what;
};

constexpr double kRtol = 1e-10, kAtol = 1e-12;

void compareAll(TorchCases &torch, const std::vector<Compare> &cmps) {
  ASSERT_TRUE(torch.run());
  for (const Compare &c : cmps) {
    SCOPED_TRACE(c.what);
    auto got = runOp(c.op, c.ins, c.attrs, c.numOut);
    ASSERT_TRUE(bool(got)) << got.error().message();
    for (size_t j = 0; j < c.numOut; ++j) {
      Tensor ref = torch.output(c.ref, j);
      ASSERT_EQ((*got)[j].shape(), ref.shape()) << "output " << j;
      double worst = 0;
      int64_t bad = 0;
      for (int64_t i = 0; i < ref.numel(); ++i) {
        double g = (*got)[j].getDouble(i), r = ref.getDouble(i);
        worst = std::max(worst, std::fabs(g - r));
        bad += !(std::fabs(g - r) <= kAtol + kRtol * std::fabs(r));
      }
      EXPECT_EQ(bad, 0) << "output " << j << ": max abs error " << worst;
    }
  }
}

Attr ints(const Ints &v) { return Attr::ofInts(v); }

} // namespace

TEST(GradNNTorch, ConvGradWeight) {
  DLC_SKIP_WITHOUT_TORCH();
  struct Case {
    Ints x, w, strides, pads, dilations;
    int64_t group;
  };
  std::vector<Case> cases = {
      {{2, 4, 9, 8}, {6, 2, 3, 3}, {2, 2}, {1, 0, 0, 2}, {2, 1}, 2},
      {{1, 6, 7, 7}, {6, 1, 3, 3}, {1, 2}, {1, 1, 1, 1}, {1, 1}, 6}, // depthwise
      {{3, 3, 10, 11}, {5, 3, 2, 3}, {1, 1}, {0, 0, 0, 0}, {1, 2}, 1},
      {{2, 3, 17}, {4, 3, 3}, {2}, {1, 2}, {2}, 1},                  // 1-D
      {{1, 4, 5, 6, 7}, {4, 2, 3, 2, 3}, {1, 2, 2}, {1, 0, 1, 1, 1, 0}, {1, 1, 2}, 2},
  };
  std::mt19937 rng(11);
  TorchCases torch;
  std::vector<Compare> cmps;
  for (const Case &c : cases) {
    size_t r = c.x.size() - 2;
    std::map<std::string, Attr> conv{{"strides", ints(c.strides)}, {"pads", ints(c.pads)},
                                     {"dilations", ints(c.dilations)},
                                     {"group", Attr::ofInt(c.group)}};
    Ints yShape = forwardShape(OpKind::Conv, {c.x, c.w}, conv);
    Tensor x = randomTensor(c.x, rng), w = randomTensor(c.w, rng), dy = randomTensor(yShape, rng);
    std::string body = "w = x[1].requires_grad_()\n"
                       "y = F.conv" + std::to_string(r) + "d(F.pad(x[0], " + torchPad(c.pads) +
                       "), w, None, " + pyTuple(c.strides) + ", 0, " + pyTuple(c.dilations) +
                       ", " + std::to_string(c.group) + ")\n"
                       "y.backward(x[2])\ny = w.grad";
    int k = torch.add(body, {x, w, dy});
    auto attrs = conv;
    attrs["kernel_shape"] = ints(Ints(c.w.begin() + 2, c.w.end()));
    cmps.push_back({OpKind::ConvGradWeight, {x, dy}, attrs, 1, k, body});
  }
  compareAll(torch, cmps);
}

TEST(GradNNTorch, PoolGrads) {
  DLC_SKIP_WITHOUT_TORCH();
  // PyTorch pads symmetrically, at most half the window.
  struct Case {
    Ints x, kernel, strides, pads, dilations;
    int ceil;
  };
  std::vector<Case> cases = {
      {{2, 3, 7, 6}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 0},
      {{1, 2, 6, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 1},
      {{1, 2, 8, 9}, {2, 3}, {3, 2}, {1, 0}, {1, 1}, 1},
      {{2, 2, 10}, {3}, {4}, {1}, {1}, 1},
      {{1, 2, 4, 5, 5}, {2, 3, 2}, {2, 1, 2}, {1, 1, 0}, {1, 1, 1}, 1},
      {{1, 2, 9, 9}, {3, 2}, {2, 2}, {1, 1}, {2, 3}, 1}, // max only: dilation
  };
  std::mt19937 rng(12);
  TorchCases torch;
  std::vector<Compare> cmps;
  for (const Case &c : cases) {
    size_t r = c.x.size() - 2;
    Ints pads = c.pads;
    pads.insert(pads.end(), c.pads.begin(), c.pads.end());
    bool dilated = std::any_of(c.dilations.begin(), c.dilations.end(),
                               [](int64_t d) { return d != 1; });
    for (int cip = 0; cip < (dilated ? 1 : 3); ++cip) {
      bool isMax = cip == 2 || dilated;
      std::map<std::string, Attr> attrs{{"kernel_shape", ints(c.kernel)},
                                        {"strides", ints(c.strides)},
                                        {"pads", ints(pads)},
                                        {"ceil_mode", Attr::ofInt(c.ceil)}};
      if (isMax)
        attrs["dilations"] = ints(c.dilations);
      else
        attrs["count_include_pad"] = Attr::ofInt(cip);
      Ints yShape = forwardShape(isMax ? OpKind::MaxPool : OpKind::AveragePool, {c.x}, attrs);
      Tensor x = randomTensor(c.x, rng), dy = randomTensor(yShape, rng);
      std::string common = pyTuple(c.kernel) + ", " + pyTuple(c.strides) + ", " +
                           pyTuple(c.pads);
      std::string call =
          isMax ? "F.max_pool" + std::to_string(r) + "d(xx, " + common + ", " +
                      pyTuple(c.dilations) + ", ceil_mode=" + pyBool(c.ceil) + ")"
                : "F.avg_pool" + std::to_string(r) + "d(xx, " + common +
                      ", ceil_mode=" + pyBool(c.ceil) +
                      ", count_include_pad=" + pyBool(cip) + ")";
      std::string body = "xx = x[0].requires_grad_()\ny = " + call +
                         "\ny.backward(x[1])\ny = xx.grad";
      int k = torch.add(body, {x, dy});
      cmps.push_back({isMax ? OpKind::MaxPoolGrad : OpKind::AveragePoolGrad, {x, dy}, attrs, 1,
                      k, body});
    }
  }
  compareAll(torch, cmps);
}

TEST(GradNNTorch, BatchNormGrad) {
  DLC_SKIP_WITHOUT_TORCH();
  std::mt19937 rng(13);
  TorchCases torch;
  std::vector<Compare> cmps;
  for (const Ints &xs : {Ints{4, 3, 5, 6}, Ints{7, 5}, Ints{2, 4, 3, 2, 3}}) {
    Tensor x = randomTensor(xs, rng), s = randomTensor({xs[1]}, rng),
           dy = randomTensor(xs, rng);
    std::string body = "xx = x[0].requires_grad_()\ns = x[1].requires_grad_()\n"
                       "b = torch.zeros_like(s, requires_grad=True)\n"
                       "y = F.batch_norm(xx, None, None, s, b, training=True, eps=1e-3)\n"
                       "y.backward(x[2])\ny = [xx.grad, s.grad, b.grad]";
    int k = torch.add(body, {x, s, dy});
    cmps.push_back({OpKind::BatchNormGrad, {x, s, dy}, {{"epsilon", Attr::ofFloat(1e-3)}}, 3,
                    k, body});
  }
  compareAll(torch, cmps);
}
