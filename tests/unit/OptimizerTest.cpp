// The optimizers (compiler/training/Optimizers.h) against torch.optim as an
// outside oracle, and their spec checks.
//
// Each torch test builds one graph per option combination: two parameters
// (f32[3, 4] and f32[5], or f64) whose gradients are graph inputs, plus the
// lr and step inputs, with buildOptimizer's updates. Five steps run on the
// reference interpreter (interpret + applyUpdates) with step numbers 1..5, a
// learning rate that changes every step (as a schedule would) and gradients of
// changing magnitude (so AMSGrad's maximum matters). Debian's /usr/bin/python3
// (torch 1.13) drives torch.optim with the same initial values, gradients and
// learning rates in the same dtype; after every step each parameter must
// match, and after the last step every optimizer state, slot by slot (the
// state names "<param>.<slot>" are torch's state keys).
//
// Tolerances, |got - ref| <= atol + rtol * |ref|:
//   f64: rtol 1e-6, atol 1e-12 (both sides compute the same formulas in
//        double; only operation order and FMA differ, ~1e-15).
//   f32: rtol 1e-5, atol 1e-6. Element-wise math rounds to f32 on both sides
//        but in a different order (torch fuses addcdiv / addcmul and may use
//        FMA); over five steps that is a few ulps of the parameter.
// The largest relative error seen per optimizer is printed. Tests skip when
// /usr/bin/python3 cannot import torch.
#include "training/Optimizers.h"

#include "dlrt/Npy.h"
#include "frontend/dlg/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "runtime/reference/Interpreter.h"

#include "TorchOracle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
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

using Args = std::map<std::string, double>;

constexpr int kSteps = 5;
// The learning rate of step s is base * kLrScale[s]; gradients scale by
// kGradScale[s] (a small step after big ones makes AMSGrad keep its max).
constexpr double kLrScale[kSteps] = {1, 0.5, 1, 0.25, 2};
constexpr double kGradScale[kSteps] = {1, 2, 0.1, 1.5, 0.05};
const std::vector<int64_t> kShapes[] = {{3, 4}, {5}};



std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// torch.optim's class and keyword arguments for a spec (lr comes per step).
std::string torchCall(const std::string &kind, const Args &args) {
  static const std::map<std::string, std::string> classes = {
      {"sgd", "SGD"},         {"adagrad", "Adagrad"}, {"adadelta", "Adadelta"},
      {"rmsprop", "RMSprop"}, {"adam", "Adam"},       {"adamw", "AdamW"}};
  std::string kw;
  auto get = [&](const char *n, double d) {
    auto it = args.find(n);
    return it == args.end() ? d : it->second;
  };
  for (auto &[name, v] : args) {
    if (name == "lr" || name == "beta1" || name == "beta2")
      continue;
    bool flag = name == "nesterov" || name == "centered" || name == "amsgrad";
    kw += ", " + name + "=" + (flag ? (v != 0 ? "True" : "False") : num(v));
  }
  if (args.count("beta1") || args.count("beta2"))
    kw += ", betas=(" + num(get("beta1", 0.9)) + ", " +
          num(get("beta2", 0.999)) + ")";
  return "torch.optim." + classes.at(kind) + "(ps, lr=float(lrs[0])" + kw + ")";
}

std::string describe(const std::string &kind, const Args &args, DType dt) {
  std::string s = kind + "(";
  for (auto &[name, v] : args)
    s += (s.back() == '(' ? "" : ", ") + name + "=" + formatFloat(v);
  return s + ") [" + std::string(dlrt::dtypeName(dt)) + "]";
}

// One option combination in one dtype: the dlc side and its torch twin.
struct Case {
  std::string kind;
  Args args;
  DType dt;
  double baseLr;
  std::vector<Tensor> init;               // per parameter
  std::vector<std::vector<Tensor>> grads; // [step][parameter]
  std::vector<float> lrs;                 // per step
};

Case makeCase(const std::string &kind, const Args &args, DType dt,
              double baseLr, unsigned seed) {
  Case c{kind, args, dt, baseLr, {}, {}, {}};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  auto random = [&](const std::vector<int64_t> &shape, double scale) {
    Tensor t(DType::F64, shape);
    for (int64_t i = 0; i < t.numel(); ++i) {
      double x = u(rng);
      // Keep gradients away from 0 (centered RMSprop's sqrt(v - m^2)).
      t.setDouble(i, scale * (x < 0 ? x - 0.1 : x + 0.1));
    }
    return t.cast(dt);
  };
  for (auto &s : kShapes)
    c.init.push_back(random(s, 1));
  for (int s = 0; s < kSteps; ++s) {
    c.grads.emplace_back();
    for (auto &shape : kShapes)
      c.grads.back().push_back(random(shape, kGradScale[s]));
    c.lrs.push_back(static_cast<float>(baseLr * kLrScale[s]));
  }
  return c;
}

Tensor stack(const std::vector<Tensor> &ts) {
  std::vector<int64_t> shape = ts[0].shape();
  shape.insert(shape.begin(), static_cast<int64_t>(ts.size()));
  Tensor out(ts[0].dtype(), shape);
  int64_t n = ts[0].numel();
  for (size_t k = 0; k < ts.size(); ++k)
    for (int64_t i = 0; i < n; ++i)
      out.setDouble(static_cast<int64_t>(k) * n + i, ts[k].getDouble(i));
  return out;
}

// torch.optim on every case in one Python process. Writes, per case k and
// parameter i, c<k>_out<i>.npy ([steps, ...]: the parameter after each step),
// c<k>_state<i>_<slot>.npy and c<k>_slots<i>.txt (the state keys).
class TorchOptim {
public:
  bool run(const std::vector<Case> &cases) {
    std::ostringstream py;
    py << "import sys, numpy as np, torch\n"
          "d = sys.argv[1]\n"
          "def run(k, n, dtype, make):\n"
          "    dt = getattr(torch, dtype)\n"
          "    ps = [torch.tensor(np.load(f'{d}/c{k}_p{i}.npy'), dtype=dt,\n"
          "                       requires_grad=True) for i in range(n)]\n"
          "    gs = [np.load(f'{d}/c{k}_g{i}.npy') for i in range(n)]\n"
          "    lrs = np.load(f'{d}/c{k}_lr.npy').astype(np.float64)\n"
          "    opt = make(ps, lrs)\n"
          "    outs = [[] for _ in ps]\n"
          "    for s in range(len(lrs)):\n"
          "        for grp in opt.param_groups:\n"
          "            grp['lr'] = float(lrs[s])\n"
          "        for p, g in zip(ps, gs):\n"
          "            p.grad = torch.tensor(g[s], dtype=dt)\n"
          "        opt.step()\n"
          "        for o, p in zip(outs, ps):\n"
          "            o.append(p.detach().numpy().copy())\n"
          "    for i, (o, p) in enumerate(zip(outs, ps)):\n"
          "        np.save(f'{d}/c{k}_out{i}.npy', np.stack(o))\n"
          "        slots = sorted(s for s, v in opt.state[p].items()\n"
          "                       if s != 'step' and v is not None)\n"
          "        open(f'{d}/c{k}_slots{i}.txt', 'w').write(' '.join(slots))\n"
          "        for s in slots:\n"
          "            np.save(f'{d}/c{k}_state{i}_{s}.npy', "
          "opt.state[p][s].numpy())\n";
    for (size_t k = 0; k < cases.size(); ++k) {
      const Case &c = cases[k];
      for (size_t i = 0; i < c.init.size(); ++i) {
        std::vector<Tensor> gs;
        for (auto &step : c.grads)
          gs.push_back(step[i]);
        if (!save(file(k, "p" + std::to_string(i)), c.init[i]) ||
            !save(file(k, "g" + std::to_string(i)), stack(gs)))
          return false;
      }
      std::vector<double> lrs(c.lrs.begin(), c.lrs.end());
      if (!save(file(k, "lr"),
                Tensor::fromVector(DType::F32,
                                   {static_cast<int64_t>(lrs.size())}, lrs)))
        return false;
      py << "run(" << k << ", " << c.init.size() << ", '"
         << (c.dt == DType::F32 ? "float32" : "float64")
         << "', lambda ps, lrs: " << torchCall(c.kind, c.args) << ")\n";
    }
    return runPython(dir_, py.str(), "torch.optim reference");
  }

  Tensor load(size_t k, const std::string &what) { return loadNpy(file(k, what)); }
  std::vector<std::string> slots(size_t k, size_t i) {
    std::ifstream in(dir_.path / ("c" + std::to_string(k) + "_slots" +
                                  std::to_string(i) + ".txt"));
    std::vector<std::string> out;
    for (std::string s; in >> s;)
      out.push_back(s);
    return out;
  }

private:
  std::string file(size_t k, const std::string &what) const {
    return (dir_.path / ("c" + std::to_string(k) + "_" + what + ".npy"))
        .string();
  }
  static bool save(const std::string &path, const Tensor &t) { return saveNpy(path, t); }
  TempDir dir_;
};

// The graph of a case: params p0, p1, gradient inputs g0, g1, lr, step.
std::unique_ptr<Graph> buildGraph(const Case &c) {
  auto g = std::make_unique<Graph>();
  std::vector<std::pair<Value *, Value *>> pg;
  for (size_t i = 0; i < c.init.size(); ++i) {
    std::string n = std::to_string(i);
    Value *p = g->addParam("p" + n, TensorType::of(c.dt, c.init[i].shape()));
    p->data = c.init[i].clone();
    pg.emplace_back(p, g->addInput("g" + n, p->type));
  }
  Value *lr = g->addInput("lr", TensorType::of(DType::F32, {}));
  Value *step = g->addInput("step", TensorType::of(DType::I64, {}));
  g->addOutput("p0", pg[0].first); // a graph needs an output
  OptimizerSpec spec{c.kind, c.args};
  if (Status s = buildOptimizer(*g, spec, pg, lr, step); !s) {
    ADD_FAILURE() << describe(c.kind, c.args, c.dt) << ": "
                  << s.error().message();
    return nullptr;
  }
  if (Status s = verifyGraph(*g); !s) {
    ADD_FAILURE() << describe(c.kind, c.args, c.dt) << ": "
                  << s.error().message();
    return nullptr;
  }
  return g;
}

// Largest |got - ref| / (atol + rtol |ref|) (<= 1 passes) and largest
// |got - ref| / (|ref| + atol), for the report.
struct Diff {
  double scaled = 0, rel = 0;
};

Diff compare(const Tensor &got, const Tensor &ref, int64_t offset, double rtol,
             double atol) {
  Diff d;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double gv = got.getDouble(i), rv = ref.getDouble(offset + i);
    double err = std::fabs(gv - rv);
    if (std::isnan(gv) != std::isnan(rv))
      err = INFINITY;
    d.scaled = std::max(d.scaled, err / (atol + rtol * std::fabs(rv)));
    d.rel = std::max(d.rel, err / (std::fabs(rv) + atol));
  }
  return d;
}

// Runs every option combination of `kind` in f32 and f64 against torch.optim.
void checkAgainstTorch(const std::string &kind, double baseLr,
                       const std::vector<Args> &combos) {
  std::vector<Case> cases;
  unsigned seed = 1;
  for (const Args &a : combos)
    for (DType dt : {DType::F64, DType::F32})
      cases.push_back(makeCase(kind, a, dt, baseLr, seed++));
  TorchOptim torch;
  ASSERT_TRUE(torch.run(cases));
  double worst[2] = {0, 0}, used[2] = {0, 0}; // max relative error and
                                              // fraction of the tolerance
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case &c = cases[k];
    bool f32 = c.dt == DType::F32;
    double rtol = f32 ? 1e-5 : 1e-6, atol = f32 ? 1e-6 : 1e-12;
    std::string what = describe(c.kind, c.args, c.dt);
    auto g = buildGraph(c);
    ASSERT_TRUE(g) << what;
    std::vector<Tensor> refs;
    for (size_t i = 0; i < c.init.size(); ++i)
      refs.push_back(torch.load(k, "out" + std::to_string(i)));
    for (int s = 0; s < kSteps; ++s) {
      std::map<std::string, Tensor> feed = {
          {"lr", Tensor::scalar(DType::F32, c.lrs[s])},
          {"step", Tensor::scalar(DType::I64, s + 1)}};
      for (size_t i = 0; i < c.init.size(); ++i)
        feed["g" + std::to_string(i)] = c.grads[s][i];
      auto r = interpret(*g, feed);
      ASSERT_TRUE(r) << what << ": " << r.error().message();
      applyUpdates(*g, *r);
      for (size_t i = 0; i < c.init.size(); ++i) {
        const Tensor &p = *g->lookup("p" + std::to_string(i))->data;
        ASSERT_EQ(p.dtype(), c.dt) << what;
        Diff d = compare(p, refs[i], s * p.numel(), rtol, atol);
        worst[f32] = std::max(worst[f32], d.rel);
        used[f32] = std::max(used[f32], d.scaled);
        EXPECT_LE(d.scaled, 1.0)
            << what << ": p" << i << " after step " << s + 1
            << " differs from torch.optim (max rel err " << d.rel << ")";
      }
    }
    // The states after the last step, by torch's slot names.
    for (size_t i = 0; i < c.init.size(); ++i) {
      std::string p = "p" + std::to_string(i);
      std::vector<std::string> ours;
      for (const Value *v : g->states())
        if (v->name.rfind(p + ".", 0) == 0)
          ours.push_back(v->name.substr(p.size() + 1));
      std::sort(ours.begin(), ours.end());
      std::vector<std::string> theirs = torch.slots(k, i);
      EXPECT_EQ(ours, theirs) << what << ": state slots of " << p;
      for (const std::string &slot : theirs) {
        const Value *v = g->lookup(p + "." + slot);
        if (!v || !v->data)
          continue;
        Tensor ref = torch.load(k, "state" + std::to_string(i) + "_" + slot);
        Diff d = compare(*v->data, ref, 0, rtol, atol * 10);
        EXPECT_LE(d.scaled, 1.0) << what << ": state " << p << "." << slot
                                 << " (max rel err " << d.rel << ")";
      }
    }
  }
  std::printf("[ torch    ] %s: max relative error vs torch.optim: f64 %.3g, "
              "f32 %.3g (%.0f%% and %.0f%% of the tolerance; %zu option "
              "combinations x 2 dtypes, %d steps)\n",
              kind.c_str(), worst[0], worst[1], 100 * used[0], 100 * used[1],
              combos.size(), kSteps);
}

TEST(OptimizerTorchTest, Sgd) {
  DLC_SKIP_WITHOUT_TORCH();
  checkAgainstTorch("sgd", 0.1,
                    {{{"lr", 0.1}},
                     {{"lr", 0.1}, {"weight_decay", 0.1}},
                     {{"lr", 0.1}, {"momentum", 0.9}},
                     {{"lr", 0.1}, {"momentum", 0.9}, {"dampening", 0.5}},
                     {{"lr", 0.1}, {"momentum", 0.9}, {"nesterov", 1}},
                     {{"lr", 0.1},
                      {"momentum", 0.5},
                      {"dampening", 0.3},
                      {"weight_decay", 0.05}},
                     {{"lr", 0.1},
                      {"momentum", 0.9},
                      {"nesterov", 1},
                      {"weight_decay", 0.1}}});
}

TEST(OptimizerTorchTest, Adagrad) {
  DLC_SKIP_WITHOUT_TORCH();
  checkAgainstTorch("adagrad", 0.1,
                    {{},
                     {{"lr_decay", 0.1}},
                     {{"weight_decay", 0.1}},
                     {{"initial_accumulator_value", 0.5}},
                     {{"eps", 1e-3}},
                     {{"lr_decay", 0.05},
                      {"weight_decay", 0.02},
                      {"initial_accumulator_value", 0.1},
                      {"eps", 1e-6}}});
}

TEST(OptimizerTorchTest, Adadelta) {
  DLC_SKIP_WITHOUT_TORCH();
  checkAgainstTorch("adadelta", 1.0,
                    {{},
                     {{"rho", 0.5}},
                     {{"eps", 1e-3}},
                     {{"weight_decay", 0.1}},
                     {{"rho", 0.8}, {"eps", 1e-4}, {"weight_decay", 0.05}}});
}

TEST(OptimizerTorchTest, Rmsprop) {
  DLC_SKIP_WITHOUT_TORCH();
  checkAgainstTorch("rmsprop", 0.01,
                    {{},
                     {{"momentum", 0.9}},
                     {{"centered", 1}},
                     {{"centered", 1}, {"momentum", 0.9}},
                     {{"weight_decay", 0.1}},
                     {{"alpha", 0.9}, {"eps", 1e-4}},
                     {{"alpha", 0.95},
                      {"eps", 1e-6},
                      {"weight_decay", 0.05},
                      {"momentum", 0.5},
                      {"centered", 1}}});
}

TEST(OptimizerTorchTest, Adam) {
  DLC_SKIP_WITHOUT_TORCH();
  checkAgainstTorch("adam", 0.01,
                    {{},
                     {{"amsgrad", 1}},
                     {{"weight_decay", 0.1}},
                     {{"beta1", 0.8}, {"beta2", 0.9}},
                     {{"eps", 1e-3}},
                     {{"beta1", 0.5},
                      {"beta2", 0.95},
                      {"eps", 1e-6},
                      {"weight_decay", 0.05},
                      {"amsgrad", 1}}});
}

TEST(OptimizerTorchTest, AdamW) {
  DLC_SKIP_WITHOUT_TORCH();
  checkAgainstTorch("adamw", 0.01,
                    {{},
                     {{"amsgrad", 1}},
                     {{"weight_decay", 0}},
                     {{"weight_decay", 0.5}},
                     {{"beta1", 0.8}, {"beta2", 0.9}, {"eps", 1e-3}},
                     {{"beta1", 0.5},
                      {"beta2", 0.95},
                      {"eps", 1e-6},
                      {"weight_decay", 0.1},
                      {"amsgrad", 1}}});
}

// --- Spec checks, defaults, graph structure (no torch needed) -------------

std::string specError(const std::string &kind, Args args) {
  Status s = checkOptimizerSpec({kind, std::move(args)});
  return s ? "" : s.error().message();
}

TEST(OptimizerTest, UnknownOptimizerAndHyperParameter) {
  EXPECT_EQ(specError("sgdd", {}),
            "unknown optimizer 'sgdd' (known: sgd, adagrad, adadelta, rmsprop, "
            "adam, adamw)");
  EXPECT_EQ(specError("adam", {{"momentum", 0.9}}),
            "optimizer 'adam' has no hyper-parameter 'momentum' (known: lr, "
            "beta1, beta2, eps, weight_decay, amsgrad)");
  EXPECT_EQ(specError("sgd", {{"lr", 0.1}, {"betas", 0.9}}),
            "optimizer 'sgd' has no hyper-parameter 'betas' (known: lr, "
            "momentum, dampening, nesterov, weight_decay)");
}

TEST(OptimizerTest, InvalidValues) {
  EXPECT_EQ(specError("sgd", {{"lr", -0.1}}),
            "learning rate must be non-negative, got -0.1");
  EXPECT_EQ(specError("adam", {{"lr", NAN}}),
            "learning rate must be a finite number, got nan");
  EXPECT_EQ(specError("adam", {{"beta1", 1}}),
            "beta1 must be in [0, 1), got 1.0");
  EXPECT_EQ(specError("adamw", {{"beta2", -0.5}}),
            "beta2 must be in [0, 1), got -0.5");
  EXPECT_EQ(specError("adam", {{"eps", 0}}), "eps must be positive, got 0.0");
  EXPECT_EQ(specError("rmsprop", {{"momentum", -1}}),
            "momentum must be non-negative, got -1.0");
  EXPECT_EQ(specError("adagrad", {{"weight_decay", -0.01}}),
            "weight_decay must be non-negative, got -0.01");
  EXPECT_EQ(specError("adagrad", {{"initial_accumulator_value", -1}}),
            "initial_accumulator_value must be non-negative, got -1.0");
  EXPECT_EQ(specError("adadelta", {{"rho", 1.5}}),
            "rho must be in [0, 1], got 1.5");
  EXPECT_EQ(specError("rmsprop", {{"centered", 2}}),
            "centered must be 0 or 1, got 2.0");
  EXPECT_EQ(
      specError("sgd", {{"lr", 0.1}, {"nesterov", 1}}),
      "nesterov requires momentum > 0 and dampening = 0, got momentum 0.0 "
      "and dampening 0.0");
  EXPECT_EQ(
      specError("sgd", {{"lr", 0.1},
                        {"nesterov", 1},
                        {"momentum", 0.9},
                        {"dampening", 0.1}}),
      "nesterov requires momentum > 0 and dampening = 0, got momentum 0.9 "
      "and dampening 0.1");
  // torch.optim.SGD has no default learning rate.
  EXPECT_EQ(specError("sgd", {}),
            "optimizer 'sgd' needs a learning rate: torch.optim.SGD has no "
            "default lr");
  // Valid edge values, as PyTorch accepts them.
  EXPECT_EQ(specError("sgd", {{"lr", 0}, {"momentum", 0.9}, {"nesterov", 1}}),
            "");
  EXPECT_EQ(specError("adam", {{"beta1", 0}, {"beta2", 0}}), "");
  EXPECT_EQ(specError("adadelta", {{"rho", 1}}), "");
  EXPECT_EQ(specError("sgd", {{"lr", 0.1}, {"dampening", -1}}), "");
}

TEST(OptimizerTest, DefaultLearningRates) {
  EXPECT_EQ(defaultLearningRate({"adagrad", {}}), 1e-2);
  EXPECT_EQ(defaultLearningRate({"adadelta", {}}), 1.0);
  EXPECT_EQ(defaultLearningRate({"rmsprop", {}}), 1e-2);
  EXPECT_EQ(defaultLearningRate({"adam", {}}), 1e-3);
  EXPECT_EQ(defaultLearningRate({"adamw", {}}), 1e-3);
  EXPECT_EQ(defaultLearningRate({"sgd", {{"lr", 0.5}}}), 0.5);
  EXPECT_EQ(defaultLearningRate({"adam", {{"lr", 0.25}}}), 0.25);
  EXPECT_TRUE(std::isnan(defaultLearningRate({"sgd", {}})));
}

struct Tiny {
  Graph g;
  Value *p, *grad, *lr, *step;
  explicit Tiny(DType dt = DType::F32) {
    p = g.addParam("fc.weight", TensorType::of(dt, {2, 3}));
    p->init = {"ones", {}};
    grad = g.addInput("grad", p->type);
    lr = g.addInput("lr", TensorType::of(DType::F32, {}));
    step = g.addInput("step", TensorType::of(DType::I64, {}));
    g.addOutput("w", p); // a graph needs an output
  }
  Status build(const std::string &kind, Args args) {
    return buildOptimizer(g, {kind, std::move(args)}, {{p, grad}}, lr, step);
  }
};

TEST(OptimizerTest, StatesAreNamedAndInitializedAsInTorch) {
  Tiny t;
  ASSERT_TRUE(t.build("adagrad", {{"initial_accumulator_value", 0.5}}));
  ASSERT_EQ(t.g.states().size(), 1u);
  const Value *sum = t.g.states()[0];
  EXPECT_EQ(sum->name, "fc.weight.sum");
  EXPECT_EQ(sum->type, t.p->type);
  EXPECT_EQ(sum->init.kind, "constant");
  EXPECT_EQ(sum->init.args.at("value"), 0.5);

  Tiny a;
  ASSERT_TRUE(a.build("adam", {{"amsgrad", 1}}));
  std::vector<std::string> names;
  for (const Value *v : a.g.states()) {
    names.push_back(v->name);
    EXPECT_EQ(v->init.kind, "zeros") << v->name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"fc.weight.exp_avg",
                                             "fc.weight.exp_avg_sq",
                                             "fc.weight.max_exp_avg_sq"}));
  // Every state and the parameter are updated once.
  EXPECT_EQ(a.g.updates().size(), 4u);

  Tiny s;
  ASSERT_TRUE(s.build("sgd", {{"lr", 0.1}}));
  EXPECT_TRUE(s.g.states().empty()); // no momentum, no buffer
  EXPECT_EQ(s.g.updates().size(), 1u);
}

TEST(OptimizerTest, BadInputsAreErrors) {
  Tiny t;
  EXPECT_EQ(t.build("adam", {{"beta1", 2}}).error().message(),
            "beta1 must be in [0, 1), got 2.0");
  Value *bad = t.g.addInput("bad", TensorType::of(DType::F32, {3, 2}));
  Status s = buildOptimizer(t.g, {"adam", {}}, {{t.p, bad}}, t.lr, t.step);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "the gradient of 'fc.weight' has type f32[3, "
                                 "2], the parameter f32[2, 3]");
  s = buildOptimizer(t.g, {"adam", {}}, {{t.p, t.grad}}, t.step, t.step);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(),
            "the learning rate must be an f32 scalar, got i64[]");
  s = buildOptimizer(t.g, {"adam", {}}, {{t.p, t.grad}}, t.lr, t.lr);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "the step must be an i64 scalar, got f32[]");
  ASSERT_TRUE(t.build("sgd", {{"lr", 1}}));
  s = t.build("sgd", {{"lr", 1}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "parameter 'fc.weight' already has an update");
}

// The optimizer's graph prints as .dlg text that parses back to the same
// text, and the parsed graph takes the same steps.
TEST(OptimizerTest, PrintedGraphRoundTripsAndRuns) {
  for (const char *kind :
       {"sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamw"}) {
    Tiny t(DType::F64);
    Args args = {{"lr", 0.1}, {"weight_decay", 0.01}};
    if (std::string(kind) == "sgd")
      args["momentum"] = 0.9;
    if (std::string(kind) == "adagrad")
      args["lr_decay"] = 0.1;
    ASSERT_TRUE(t.build(kind, args)) << kind;
    std::string text = printGraph(t.g);
    auto parsed = parseDlg(text, "optim.dlg", ".");
    ASSERT_TRUE(parsed) << kind << ": " << parsed.error().message() << "\n"
                        << text;
    EXPECT_EQ(printGraph(**parsed), text) << kind;
    Graph *graphs[2] = {&t.g, parsed->get()};
    Tensor grad =
        Tensor::fromVector(DType::F64, {2, 3}, {0.5, -1, 2, 0.25, -0.125, 1});
    for (int s = 1; s <= 3; ++s) {
      std::map<std::string, Tensor> feed = {
          {"grad", grad},
          {"lr", Tensor::scalar(DType::F32, 0.1)},
          {"step", Tensor::scalar(DType::I64, s)}};
      for (Graph *g : graphs) {
        auto r = interpret(*g, feed);
        ASSERT_TRUE(r) << kind << ": " << r.error().message();
        applyUpdates(*g, *r);
      }
      const Tensor &a = *t.g.lookup("fc.weight")->data;
      const Tensor &b = *(*parsed)->lookup("fc.weight")->data;
      EXPECT_TRUE(a.sameBytes(b)) << kind << " step " << s;
      EXPECT_NE(a.getDouble(0), 1.0) << kind << ": the parameter did not move";
    }
  }
}

// Mixed dtypes in one graph share the step scalars, cast once per dtype.
TEST(OptimizerTest, MixedDtypesShareStepScalars) {
  Graph g;
  Value *lr = g.addInput("lr", TensorType::of(DType::F32, {}));
  Value *step = g.addInput("step", TensorType::of(DType::I64, {}));
  std::vector<std::pair<Value *, Value *>> pg;
  for (DType dt : {DType::F32, DType::F64, DType::F32, DType::F64}) {
    std::string n = "p" + std::to_string(pg.size());
    Value *p = g.addParam(n, TensorType::of(dt, {4}));
    p->init = {"ones", {}};
    pg.emplace_back(p, g.addInput(n + ".grad", p->type));
  }
  g.addOutput("p0", pg[0].first);
  ASSERT_TRUE(buildOptimizer(g, {"adam", {}}, pg, lr, step));
  int casts = 0, pows = 0;
  for (auto &n : g.nodes()) {
    casts += n->op == OpKind::Cast;
    pows += n->op == OpKind::Pow;
  }
  // lr and step to f64; step_size and sqrt(bias_correction2) to f32 (f64 needs
  // no cast).
  EXPECT_EQ(casts, 2 + 2);
  EXPECT_EQ(pows, 2);
  Status s = verifyGraph(g);
  EXPECT_TRUE(s) << s.error().message();
}

} // namespace
