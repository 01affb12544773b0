// The reference interpreter against PyTorch as an outside oracle: sweeps of
// shapes and attributes for Conv, ConvTranspose, MaxPool, AveragePool,
// BatchNorm, Softmax/LogSoftmax, MatMul and some float math, and torchvision's
// ResNet-18 end to end.
//
// Each test batches its cases into one run of Debian's /usr/bin/python3
// (torch 1.13): inputs go out as f32 .npy files, PyTorch computes in float64
// on those exact values, and results come back as f64 .npy. The interpreter
// runs each case in f32 and in f64.
//
// Tolerances, |got - ref| <= atol + rtol * |ref|:
//   f32: rtol 1e-6, atol 1e-6. The interpreter accumulates in double and
//        rounds once, so the error is the final rounding (6e-8 relative) plus
//        the double accumulation error, far below these bounds.
//   f64: rtol 1e-10, atol 1e-12 (summation order only).
//   ResNet-18, f32 end to end: rtol 1e-5, atol 1e-5 on the logits (every
//        layer rounds its output to f32; 20 layers deep).
// Tests skip when /usr/bin/python3 cannot import torch.
#include "runtime/reference/Interpreter.h"

#include "dlrt/Npy.h"
#include "ir/Builder.h"

#include "TorchOracle.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#ifndef DLC_PYTHON
#define DLC_PYTHON "/usr/bin/python3"
#endif

using namespace dlc;
namespace fs = std::filesystem;

namespace {

using namespace dlc::test;
using Shape = std::vector<int64_t>;
using Attrs = std::map<std::string, Attr>;
using Ints = std::vector<int64_t>;



Tensor randomTensor(Shape shape, std::mt19937 &rng, double lo = -1, double hi = 1) {
  std::uniform_real_distribution<double> u(lo, hi);
  Tensor t(DType::F32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = static_cast<float>(u(rng));
  return t;
}



void expectClose(const Tensor &got, const Tensor &ref, double rtol, double atol,
                 const std::string &what) {
  ASSERT_EQ(got.shape(), ref.shape()) << what;
  int64_t bad = 0, worst = -1;
  double worstErr = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double g = got.getDouble(i), r = ref.getDouble(i);
    double err = std::fabs(g - r);
    bool ok = err <= atol + rtol * std::fabs(r) || (std::isnan(g) && std::isnan(r));
    if (!ok)
      ++bad;
    double scaled = err / (atol + rtol * std::fabs(r));
    if (!ok && (worst < 0 || scaled > worstErr))
      worst = i, worstErr = scaled;
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << got.numel()
                    << " elements differ; worst at " << worst << ": got "
                    << (worst >= 0 ? got.getDouble(worst) : 0) << ", want "
                    << (worst >= 0 ? ref.getDouble(worst) : 0);
}

// A one-node graph over inputs named x0, x1, ...; all are graph inputs so the
// same graph runs f32 and f64 data. Returns the interpreter's outputs.
std::vector<Tensor> runOp(OpKind op, const std::vector<Tensor> &ins,
                          const Attrs &attrs, int numOut, DType dt,
                          const std::vector<bool> &present = {}) {
  Graph g;
  Builder b(g);
  std::vector<Value *> vs;
  std::map<std::string, Tensor> feed;
  for (size_t i = 0; i < ins.size(); ++i) {
    if (i < present.size() && !present[i]) {
      vs.push_back(nullptr);
      continue;
    }
    std::string name = "x" + std::to_string(i);
    vs.push_back(g.addInput(name, TensorType::of(dt, ins[i].shape())));
    feed[name] = ins[i].cast(dt);
  }
  std::vector<std::string> names;
  for (int i = 0; i < numOut; ++i)
    names.push_back("y" + std::to_string(i));
  auto n = b.addMulti(op, vs, attrs, "op", names);
  if (!n) {
    ADD_FAILURE() << n.error().message();
    return {};
  }
  for (Value *v : (*n)->outputs)
    g.addOutput(v->name, v);
  auto r = interpret(g, feed);
  if (!r) {
    ADD_FAILURE() << r.error().message();
    return {};
  }
  return r->outputs;
}

constexpr double kRtol32 = 1e-6, kAtol32 = 1e-6;
constexpr double kRtol64 = 1e-10, kAtol64 = 1e-12;

// Runs `op` in f32 and f64 and compares every output with PyTorch's.
struct Check {
  OpKind op;
  std::vector<Tensor> ins;
  Attrs attrs;
  int numOut;
  std::string what;
  int ref;
  std::vector<bool> present;
};

void verifyAll(TorchCases &torch, const std::vector<Check> &checks) {
  ASSERT_TRUE(torch.run());
  for (const Check &c : checks) {
    for (DType dt : {DType::F32, DType::F64}) {
      auto outs = runOp(c.op, c.ins, c.attrs, c.numOut, dt, c.present);
      ASSERT_EQ(outs.size(), static_cast<size_t>(c.numOut)) << c.what;
      for (int j = 0; j < c.numOut; ++j) {
        bool f32 = dt == DType::F32;
        expectClose(outs[j], torch.output(c.ref, j), f32 ? kRtol32 : kRtol64,
                    f32 ? kAtol32 : kAtol64,
                    c.what + (f32 ? " [f32]" : " [f64]") + " output " +
                        std::to_string(j));
      }
    }
  }
}

// ONNX pads [begins..., ends...] as torch.nn.functional.pad's list (last
// axis first).
std::string torchPadList(const Ints &pads) {
  size_t r = pads.size() / 2;
  Ints t;
  for (size_t i = r; i-- > 0;) {
    t.push_back(pads[i]);
    t.push_back(pads[i + r]);
  }
  return pyTuple(t);
}

bool symmetric(const Ints &pads) {
  size_t r = pads.size() / 2;
  for (size_t i = 0; i < r; ++i)
    if (pads[i] != pads[i + r])
      return false;
  return true;
}

Ints firstHalf(const Ints &pads) {
  return Ints(pads.begin(), pads.begin() + pads.size() / 2);
}

} // namespace

struct ConvCase {
  Shape x;
  int64_t outC;
  Ints kernel, strides, pads, dilations;
  int64_t group;
  bool bias;
};

TEST(InterpTorch, ConvSweep) {
  DLC_SKIP_WITHOUT_TORCH();
  std::vector<ConvCase> cases = {
      {{1, 3, 7, 7}, 4, {3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, true},
      {{2, 4, 9, 8}, 6, {3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 2, false},
      {{1, 6, 11, 10}, 6, {3, 3}, {1, 1}, {2, 2, 2, 2}, {2, 2}, 6, true}, // depthwise
      {{2, 3, 10, 13}, 5, {2, 3}, {2, 1}, {1, 0, 1, 0}, {1, 1}, 1, true},
      {{1, 8, 15, 15}, 16, {5, 5}, {3, 3}, {2, 2, 2, 2}, {1, 1}, 4, true},
      {{3, 2, 5, 5}, 3, {1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, false},
      {{1, 3, 32, 32}, 8, {7, 7}, {2, 2}, {3, 3, 3, 3}, {1, 1}, 1, false},
      {{1, 2, 9, 9}, 4, {3, 3}, {2, 1}, {0, 1, 2, 0}, {2, 1}, 2, true}, // asymmetric
      {{1, 4, 6, 7}, 8, {3, 2}, {1, 2}, {1, 0, 1, 0}, {1, 3}, 4, true},
      {{2, 3, 17}, 4, {3}, {2}, {1, 1}, {2}, 1, true},                  // 1-D
      {{1, 4, 12}, 4, {5}, {3}, {2, 1}, {1}, 4, false},                 // 1-D depthwise, asym
      {{1, 2, 5, 6, 7}, 4, {3, 3, 3}, {1, 2, 2}, {1, 1, 1, 1, 1, 1}, {1, 1, 1}, 2, true},
      {{2, 3, 4, 5, 6}, 2, {2, 3, 1}, {2, 1, 1}, {0, 1, 0, 1, 0, 0}, {1, 2, 1}, 1, false},
  };
  std::mt19937 rng(1);
  TorchCases torch;
  std::vector<Check> checks;
  for (const ConvCase &c : cases) {
    size_t r = c.x.size() - 2;
    Shape ws{c.outC, c.x[1] / c.group};
    ws.insert(ws.end(), c.kernel.begin(), c.kernel.end());
    std::vector<Tensor> ins{randomTensor(c.x, rng), randomTensor(ws, rng)};
    if (c.bias)
      ins.push_back(randomTensor({c.outC}, rng));
    std::string xin = symmetric(c.pads) ? "x[0]" : "F.pad(x[0], " + torchPadList(c.pads) + ")";
    std::string padding = symmetric(c.pads) ? pyTuple(firstHalf(c.pads)) : "0";
    std::string body = "y = F.conv" + std::to_string(r) + "d(" + xin + ", x[1], " +
                       (c.bias ? "x[2]" : "None") + ", stride=" + pyTuple(c.strides) +
                       ", padding=" + padding + ", dilation=" + pyTuple(c.dilations) +
                       ", groups=" + std::to_string(c.group) + ")";
    Attrs attrs{{"strides", Attr::ofInts(c.strides)},
                {"pads", Attr::ofInts(c.pads)},
                {"dilations", Attr::ofInts(c.dilations)},
                {"group", Attr::ofInt(c.group)}};
    int k = torch.add(body, ins);
    checks.push_back({OpKind::Conv, ins, attrs, 1, body, k, {}});
  }
  verifyAll(torch, checks);
}

struct ConvTCase {
  Shape x;
  int64_t outCPerGroup;
  Ints kernel, strides, pads, dilations, outputPadding;
  int64_t group;
  bool bias;
};

TEST(InterpTorch, ConvTransposeSweep) {
  DLC_SKIP_WITHOUT_TORCH();
  std::vector<ConvTCase> cases = {
      {{1, 3, 5, 5}, 2, {3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}, {0, 0}, 1, true},
      {{2, 4, 4, 5}, 3, {3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, {1, 1}, 2, false},
      {{1, 2, 6, 3}, 2, {2, 3}, {2, 1}, {0, 1, 0, 1}, {1, 2}, {1, 0}, 1, true},
      {{1, 4, 3, 3}, 1, {3, 3}, {1, 1}, {1, 1, 1, 1}, {2, 2}, {0, 0}, 4, true}, // depthwise
      {{1, 2, 4, 4}, 3, {4, 4}, {2, 2}, {1, 0, 2, 1}, {1, 1}, {0, 0}, 1, true}, // asymmetric
      {{2, 3, 7}, 2, {3}, {3}, {1, 1}, {1}, {2}, 1, true},                      // 1-D
      {{1, 2, 3, 4, 3}, 2, {2, 3, 2}, {2, 1, 2}, {0, 1, 0, 0, 1, 0}, {1, 1, 1}, {1, 0, 1}, 2, true},
  };
  std::mt19937 rng(2);
  TorchCases torch;
  std::vector<Check> checks;
  for (const ConvTCase &c : cases) {
    size_t r = c.x.size() - 2;
    Shape ws{c.x[1], c.outCPerGroup};
    ws.insert(ws.end(), c.kernel.begin(), c.kernel.end());
    std::vector<Tensor> ins{randomTensor(c.x, rng), randomTensor(ws, rng)};
    if (c.bias)
      ins.push_back(randomTensor({c.outCPerGroup * c.group}, rng));
    // PyTorch pads symmetrically; asymmetric pads crop a padding=0 result.
    bool sym = symmetric(c.pads);
    std::string body = "y = F.conv_transpose" + std::to_string(r) + "d(x[0], x[1], " +
                       (c.bias ? "x[2]" : "None") + ", stride=" + pyTuple(c.strides) +
                       ", padding=" + (sym ? pyTuple(firstHalf(c.pads)) : "0") +
                       ", output_padding=" + pyTuple(c.outputPadding) +
                       ", groups=" + std::to_string(c.group) +
                       ", dilation=" + pyTuple(c.dilations) + ")";
    if (!sym) {
      std::string crop = "y = y[:, :";
      for (size_t i = 0; i < r; ++i)
        crop += ", " + std::to_string(c.pads[i]) + ":y.shape[" + std::to_string(2 + i) +
                "]-" + std::to_string(c.pads[i + r]);
      body += "\n" + crop + "]";
    }
    Attrs attrs{{"strides", Attr::ofInts(c.strides)},
                {"pads", Attr::ofInts(c.pads)},
                {"dilations", Attr::ofInts(c.dilations)},
                {"output_padding", Attr::ofInts(c.outputPadding)},
                {"group", Attr::ofInt(c.group)}};
    int k = torch.add(body, ins);
    checks.push_back({OpKind::ConvTranspose, ins, attrs, 1, body, k, {}});
  }
  verifyAll(torch, checks);
}

struct PoolCase {
  bool max;
  Shape x;
  Ints kernel, strides, pads, dilations;
  bool ceil, countPad;
};

TEST(InterpTorch, PoolSweep) {
  DLC_SKIP_WITHOUT_TORCH();
  std::vector<PoolCase> cases = {
      {true, {1, 2, 7, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, false, false},
      {true, {2, 3, 8, 9}, {2, 2}, {2, 2}, {0, 0}, {1, 1}, true, false},
      {true, {1, 1, 10, 11}, {3, 2}, {2, 3}, {1, 1}, {2, 1}, true, false},
      {true, {1, 2, 112, 112}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, false, false}, // ResNet stem
      {true, {2, 2, 9}, {4}, {3}, {2}, {1}, true, false},                     // 1-D
      {true, {1, 2, 5, 6, 7}, {2, 3, 2}, {2, 2, 1}, {1, 1, 0}, {1, 1, 2}, true, false},
      {false, {1, 2, 7, 7}, {3, 3}, {2, 2}, {1, 1}, {}, false, false},
      {false, {1, 2, 7, 7}, {3, 3}, {2, 2}, {1, 1}, {}, false, true},
      {false, {2, 3, 8, 9}, {3, 2}, {2, 2}, {1, 1}, {}, true, false},
      {false, {2, 3, 8, 9}, {3, 2}, {2, 2}, {1, 1}, {}, true, true},
      {false, {1, 1, 6, 5}, {2, 2}, {3, 3}, {1, 0}, {}, true, true},
      {false, {1, 3, 7, 7}, {7, 7}, {1, 1}, {0, 0}, {}, false, false}, // global
      {false, {2, 2, 11}, {3}, {2}, {1}, {}, true, true},              // 1-D
      {false, {1, 2, 5, 6, 7}, {3, 2, 3}, {2, 2, 2}, {1, 1, 1}, {}, true, false},
  };
  std::mt19937 rng(3);
  TorchCases torch;
  std::vector<Check> checks;
  for (const PoolCase &c : cases) {
    size_t r = c.x.size() - 2;
    std::vector<Tensor> ins{randomTensor(c.x, rng)};
    Ints pads = c.pads;
    pads.insert(pads.end(), c.pads.begin(), c.pads.end());
    std::string body;
    Attrs attrs{{"kernel_shape", Attr::ofInts(c.kernel)},
                {"strides", Attr::ofInts(c.strides)},
                {"pads", Attr::ofInts(pads)},
                {"ceil_mode", Attr::ofInt(c.ceil)}};
    if (c.max) {
      body = "y = F.max_pool" + std::to_string(r) + "d(x[0], " + pyTuple(c.kernel) +
             ", " + pyTuple(c.strides) + ", " + pyTuple(c.pads) + ", " +
             pyTuple(c.dilations) + ", ceil_mode=" + (c.ceil ? "True" : "False") + ")";
      attrs["dilations"] = Attr::ofInts(c.dilations);
    } else {
      body = "y = F.avg_pool" + std::to_string(r) + "d(x[0], " + pyTuple(c.kernel) +
             ", " + pyTuple(c.strides) + ", " + pyTuple(c.pads) +
             ", ceil_mode=" + (c.ceil ? "True" : "False") +
             ", count_include_pad=" + (c.countPad ? "True" : "False") + ")";
      attrs["count_include_pad"] = Attr::ofInt(c.countPad);
    }
    int k = torch.add(body, ins);
    checks.push_back({c.max ? OpKind::MaxPool : OpKind::AveragePool, ins, attrs, 1,
                      body, k, {}});
  }
  verifyAll(torch, checks);
}

TEST(InterpTorch, BatchNormSweep) {
  DLC_SKIP_WITHOUT_TORCH();
  std::vector<Shape> shapes = {{4, 3}, {2, 5, 7}, {3, 4, 5, 6}, {2, 3, 3, 4, 5}, {1, 2, 1, 3}};
  std::mt19937 rng(4);
  TorchCases torch;
  std::vector<Check> checks;
  for (const Shape &s : shapes)
    for (int training : {0, 1}) {
      int64_t c = s[1];
      std::vector<Tensor> ins{randomTensor(s, rng, -2, 3), randomTensor({c}, rng, 0.5, 1.5),
                              randomTensor({c}, rng), randomTensor({c}, rng),
                              randomTensor({c}, rng, 0.5, 2)};
      double momentum = training ? 0.3 : 0.1, eps = 1e-3;
      std::string body =
          "rm, rv = x[3].clone(), x[4].clone()\n"
          "y = F.batch_norm(x[0], rm, rv, x[1], x[2], training=" +
          std::string(training ? "True" : "False") + ", momentum=" +
          std::to_string(momentum) + ", eps=" + std::to_string(eps) + ")\n" +
          (training ? "y = [y, rm, rv]" : "");
      Attrs attrs{{"training", Attr::ofInt(training)},
                  {"momentum", Attr::ofFloat(momentum)},
                  {"epsilon", Attr::ofFloat(eps)}};
      int k = torch.add(body, ins);
      checks.push_back({OpKind::BatchNorm, ins, attrs, training ? 3 : 1, body, k, {}});
    }
  verifyAll(torch, checks);
}

TEST(InterpTorch, SoftmaxSweep) {
  DLC_SKIP_WITHOUT_TORCH();
  std::vector<std::pair<Shape, int64_t>> cases = {
      {{10}, 0}, {{3, 7}, -1}, {{3, 7}, 0}, {{2, 3, 5}, 1}, {{2, 3, 4, 5}, -2}, {{1, 1000}, 1}};
  std::mt19937 rng(5);
  TorchCases torch;
  std::vector<Check> checks;
  for (auto &[s, axis] : cases)
    for (bool isLog : {false, true}) {
      std::vector<Tensor> ins{randomTensor(s, rng, -20, 20)};
      std::string body = std::string("y = F.") + (isLog ? "log_softmax" : "softmax") +
                         "(x[0], dim=" + std::to_string(axis) + ")";
      int k = torch.add(body, ins);
      checks.push_back({isLog ? OpKind::LogSoftmax : OpKind::Softmax, ins,
                        {{"axis", Attr::ofInt(axis)}}, 1, body, k, {}});
    }
  verifyAll(torch, checks);
}

TEST(InterpTorch, MatMulSweep) {
  DLC_SKIP_WITHOUT_TORCH();
  struct MM {
    Shape a, b;
    int ta, tb;
  };
  std::vector<MM> cases = {
      {{3, 4}, {4, 5}, 0, 0},          {{4, 3}, {4, 5}, 1, 0},
      {{3, 4}, {5, 4}, 0, 1},          {{4, 3}, {5, 4}, 1, 1},
      {{2, 1, 3, 4}, {5, 4, 6}, 0, 0}, {{7}, {7}, 0, 0},
      {{7}, {2, 7, 3}, 0, 0},          {{2, 3, 7}, {7}, 0, 0},
      {{6, 2, 5}, {6, 3, 5}, 0, 1},    {{1, 64}, {100, 64}, 0, 1},
      {{33, 17}, {17, 29}, 0, 0},
  };
  std::mt19937 rng(6);
  TorchCases torch;
  std::vector<Check> checks;
  for (const MM &c : cases) {
    std::vector<Tensor> ins{randomTensor(c.a, rng), randomTensor(c.b, rng)};
    std::string a = c.ta ? "x[0].transpose(-1, -2)" : "x[0]";
    std::string b = c.tb ? "x[1].transpose(-1, -2)" : "x[1]";
    std::string body = "y = torch.matmul(" + a + ", " + b + ")";
    int k = torch.add(body, ins);
    checks.push_back({OpKind::MatMul, ins,
                      {{"transA", Attr::ofInt(c.ta)}, {"transB", Attr::ofInt(c.tb)}}, 1,
                      body, k, {}});
  }
  verifyAll(torch, checks);
}

TEST(InterpTorch, FloatMathSweep) {
  DLC_SKIP_WITHOUT_TORCH();
  struct U {
    OpKind op;
    Attrs attrs;
    std::string torch;
    double lo, hi;
  };
  std::vector<U> cases = {
      {OpKind::Erf, {}, "torch.erf(x[0])", -3, 3},
      {OpKind::Sigmoid, {}, "torch.sigmoid(x[0])", -30, 30},
      {OpKind::Tanh, {}, "torch.tanh(x[0])", -5, 5},
      {OpKind::Exp, {}, "torch.exp(x[0])", -10, 10},
      {OpKind::Log, {}, "torch.log(x[0])", 0.01, 100},
      {OpKind::Softplus, {{"beta", Attr::ofFloat(2)}}, "F.softplus(x[0], beta=2)", -8, 8},
      {OpKind::Elu, {{"alpha", Attr::ofFloat(0.7)}}, "F.elu(x[0], alpha=0.7)", -4, 4},
      {OpKind::LeakyRelu, {{"alpha", Attr::ofFloat(0.2)}}, "F.leaky_relu(x[0], 0.2)", -4, 4},
      {OpKind::Sin, {}, "torch.sin(x[0])", -10, 10},
      {OpKind::Cos, {}, "torch.cos(x[0])", -10, 10},
  };
  std::mt19937 rng(7);
  TorchCases torch;
  std::vector<Check> checks;
  for (const U &c : cases) {
    std::vector<Tensor> ins{randomTensor({5, 41}, rng, c.lo, c.hi)};
    std::string body = "y = " + c.torch;
    int k = torch.add(body, ins);
    checks.push_back({c.op, ins, c.attrs, 1, body, k, {}});
  }
  // Binary ops with broadcasting, vs torch's pow / remainder / fmod.
  std::vector<Tensor> pin{randomTensor({3, 1, 5}, rng, 0.1, 4), randomTensor({4, 1}, rng, -3, 3)};
  checks.push_back({OpKind::Pow, pin, {}, 1, "pow", torch.add("y = torch.pow(x[0], x[1])", pin), {}});
  std::vector<Tensor> min{pin[1], pin[0]}; // signed dividends, positive divisors
  checks.push_back({OpKind::Mod, min, {}, 1, "remainder",
                    torch.add("y = torch.remainder(x[0], x[1])", min), {}});
  checks.push_back({OpKind::Mod, min, {{"fmod", Attr::ofInt(1)}}, 1, "fmod",
                    torch.add("y = torch.fmod(x[0], x[1])", min), {}});
  verifyAll(torch, checks);
}

// torchvision's ResNet-18 (random weights, randomized BatchNorm statistics,
// eval mode) at batch 1, 224x224, built here from core ops.
TEST(InterpTorch, ResNet18MatchesTorchvision) {
  DLC_SKIP_WITHOUT_TORCH();
  if (std::system(DLC_PYTHON " -c 'import torchvision' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no torchvision";
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  std::string py =
      "import sys, numpy as np, torch, torchvision\n"
      "d = sys.argv[1]\n"
      "torch.manual_seed(0)\n"
      "m = torchvision.models.resnet18()\n"
      "with torch.no_grad():\n"
      "    for mod in m.modules():\n"
      "        if isinstance(mod, torch.nn.BatchNorm2d):\n"
      "            mod.running_mean.uniform_(-0.2, 0.2)\n"
      "            mod.running_var.uniform_(0.5, 1.5)\n"
      "            mod.weight.uniform_(0.5, 1.5)\n"
      "            mod.bias.uniform_(-0.2, 0.2)\n"
      "m.eval()\n"
      "for k, v in m.state_dict().items():\n"
      "    if v.dtype == torch.float32:\n"
      "        np.save(f'{d}/{k}.npy', v.numpy())\n"
      "x = torch.rand(1, 3, 224, 224)\n"
      "np.save(f'{d}/input.npy', x.numpy())\n"
      "with torch.no_grad():\n"
      "    y = m.double()(x.double())\n"
      "np.save(f'{d}/logits.npy', y.numpy())\n";
  std::ofstream(dir.path / "resnet.py") << py;
  std::string cmd = std::string(DLC_PYTHON) + " " + (dir.path / "resnet.py").string() +
                    " " + dir.path.string() + " > " + (dir.path / "log").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "see " << (dir.path / "log");

  Graph g;
  Builder b(g);
  bool failed = false;
  auto param = [&](const std::string &name) -> Value * {
    auto t = dlrt::readNpy((dir.path / (name + ".npy")).string());
    if (!t) {
      ADD_FAILURE() << t.error().message();
      failed = true;
      return nullptr;
    }
    Value *v = g.addParam(name, TensorType::of(t->dtype(), t->shape()));
    v->data = *t;
    return v;
  };
  auto add = [&](OpKind op, std::vector<Value *> ins, Attrs attrs,
                 const std::string &name) -> Value * {
    for (Value *v : ins)
      if (!v)
        return nullptr;
    auto v = b.add(op, ins, attrs, name);
    if (!v) {
      ADD_FAILURE() << v.error().message();
      failed = true;
      return nullptr;
    }
    return *v;
  };
  auto conv = [&](Value *x, const std::string &p, int64_t stride, int64_t pad) {
    return add(OpKind::Conv, {x, param(p + ".weight")},
               {{"strides", Attr::ofInts({stride, stride})},
                {"pads", Attr::ofInts({pad, pad, pad, pad})}},
               p);
  };
  auto bn = [&](Value *x, const std::string &p) {
    return add(OpKind::BatchNorm,
               {x, param(p + ".weight"), param(p + ".bias"), param(p + ".running_mean"),
                param(p + ".running_var")},
               {}, p);
  };
  auto relu = [&](Value *x, const std::string &name) {
    return add(OpKind::Relu, {x}, {}, name);
  };
  Value *x = g.addInput("x", {DType::F32, {Dim("N"), Dim(3), Dim(224), Dim(224)}});
  Value *h = relu(bn(conv(x, "conv1", 2, 3), "bn1"), "relu");
  h = add(OpKind::MaxPool, {h},
          {{"kernel_shape", Attr::ofInts({3, 3})}, {"strides", Attr::ofInts({2, 2})},
           {"pads", Attr::ofInts({1, 1, 1, 1})}},
          "maxpool");
  for (int layer = 1; layer <= 4; ++layer)
    for (int blk = 0; blk < 2; ++blk) {
      std::string p = "layer" + std::to_string(layer) + "." + std::to_string(blk);
      int64_t stride = layer > 1 && blk == 0 ? 2 : 1;
      Value *o = relu(bn(conv(h, p + ".conv1", stride, 1), p + ".bn1"), p + ".relu1");
      o = bn(conv(o, p + ".conv2", 1, 1), p + ".bn2");
      Value *skip = h;
      if (layer > 1 && blk == 0)
        skip = bn(conv(h, p + ".downsample.0", 2, 0), p + ".downsample.1");
      h = relu(add(OpKind::Add, {o, skip}, {}, p + ".add"), p + ".relu2");
    }
  h = add(OpKind::ReduceMean, {h},
          {{"axes", Attr::ofInts({2, 3})}, {"keepdims", Attr::ofInt(0)}}, "avgpool");
  h = add(OpKind::MatMul, {h, param("fc.weight")}, {{"transB", Attr::ofInt(1)}}, "fc");
  h = add(OpKind::Add, {h, param("fc.bias")}, {}, "logits");
  ASSERT_FALSE(failed);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->type.str(), "f32[N, 1000]");
  g.addOutput("logits", h);

  auto input = dlrt::readNpy((dir.path / "input.npy").string());
  auto want = dlrt::readNpy((dir.path / "logits.npy").string());
  ASSERT_TRUE(bool(input) && bool(want));
  auto start = std::chrono::steady_clock::now();
  auto r = interpret(g, {{"x", *input}});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(bool(r)) << r.error().message();
  std::printf("ResNet-18, batch 1, 224x224: %.2f s in the reference interpreter\n", secs);
  double maxErr = 0, maxRef = 0;
  for (int64_t i = 0; i < want->numel(); ++i) {
    maxErr = std::max(maxErr, std::fabs(r->outputs[0].getDouble(i) - want->getDouble(i)));
    maxRef = std::max(maxRef, std::fabs(want->getDouble(i)));
  }
  std::printf("max |logit error| %.3g, max |logit| %.3g\n", maxErr, maxRef);
  expectClose(r->outputs[0], *want, 1e-5, 1e-5, "resnet18 logits");
}
