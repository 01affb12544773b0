// Finite-difference gradient checking for autodiff rules.
//
// checkGradients(text) parses a .dlg graph whose float params are the
// variables (give them f64 types and random initializers), reduces every
// output to a scalar loss L = sum_k sum(w_k * out_k) with fixed random
// weights w_k (so every output element matters, with a different weight),
// builds dL/dparam with autodiff, and compares each element against the
// central difference (L(p + h) - L(p - h)) / 2h computed by the reference
// interpreter. Tolerance: |analytic - numeric| <= atol + rtol * |numeric|.
#pragma once

#include "autodiff/Autodiff.h"
#include "frontend/dlg/Parser.h"
#include "ir/Builder.h"
#include "runtime/reference/Interpreter.h"
#include "training/Initializers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace dlc::test {

struct GradCheckOptions {
  double h = 1e-6, rtol = 1e-5, atol = 1e-7;
  uint64_t seed = 42;
};

inline void checkGradients(const std::string &text, GradCheckOptions o = {}) {
  auto parsed = parseDlg(text, "gradcheck.dlg", "");
  ASSERT_TRUE(bool(parsed)) << parsed.error().message();
  Graph &g = **parsed;
  // Materialize every param so perturbations have data to change.
  std::vector<Value *> wrt;
  for (Value *p : g.params()) {
    auto t = materializeParam(*p);
    ASSERT_TRUE(bool(t)) << t.error().message();
    p->data = *t;
    if (dlrt::isFloat(p->type.dtype) && p->trainable)
      wrt.push_back(p);
  }
  // L = sum_k sum(w_k * out_k).
  Builder b(g);
  Value *loss = nullptr;
  uint64_t s = o.seed;
  auto rnd = [&s] { // splitmix64 -> [-1, 1)
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return ((z ^ (z >> 31)) >> 11) * 0x1.0p-52 - 1.0;
  };
  auto outputs = g.outputs();
  for (auto &[name, v] : outputs) {
    if (!dlrt::isFloat(v->type.dtype))
      continue;
    ASSERT_TRUE(v->type.isStatic()) << "gradient checks need static shapes";
    Tensor w(v->type.dtype, v->type.staticShape());
    for (int64_t i = 0; i < w.numel(); ++i)
      w.setDouble(i, rnd());
    Value *wc = g.addConst(g.uniqueName(name + ".w"), w);
    auto m = b.add(OpKind::Mul, {v, wc}, {}, name + ".weighted");
    ASSERT_TRUE(bool(m)) << m.error().message();
    auto r = b.add(OpKind::ReduceSum, {*m}, {{"keepdims", Attr::ofInt(0)}}, name + ".sum");
    ASSERT_TRUE(bool(r)) << r.error().message();
    if (!loss) {
      loss = *r;
    } else {
      auto a = b.add(OpKind::Add, {loss, *r}, {}, "loss");
      ASSERT_TRUE(bool(a));
      loss = *a;
    }
  }
  ASSERT_TRUE(loss) << "no float outputs";
  g.outputs().clear();
  g.addOutput("loss", loss);
  auto grads = buildGradients(g, loss, wrt);
  ASSERT_TRUE(bool(grads)) << grads.error().message();
  for (Value *p : wrt)
    g.addOutput("grad." + p->name, grads->at(p));

  auto run = interpret(g, {});
  ASSERT_TRUE(bool(run)) << run.error().message();
  auto lossAt = [&]() {
    auto r = interpret(g, {});
    EXPECT_TRUE(bool(r)) << r.error().message();
    return r ? r->outputs[0].getDouble(0) : NAN;
  };
  for (size_t k = 0; k < wrt.size(); ++k) {
    Value *p = wrt[k];
    const Tensor &analytic = run->outputs[k + 1];
    Tensor orig = p->data->clone();
    int failures = 0;
    for (int64_t i = 0; i < orig.numel() && failures < 5; ++i) {
      double x0 = orig.getDouble(i);
      Tensor plus = orig.clone(), minus = orig.clone();
      plus.setDouble(i, x0 + o.h);
      minus.setDouble(i, x0 - o.h);
      p->data = plus;
      double lp = lossAt();
      p->data = minus;
      double lm = lossAt();
      double numeric = (lp - lm) / (2 * o.h), got = analytic.getDouble(i);
      if (!(std::fabs(got - numeric) <= o.atol + o.rtol * std::fabs(numeric))) {
        ADD_FAILURE() << "d loss / d " << p->name << "[" << i << "]: autodiff " << got
                      << ", finite difference " << numeric;
        ++failures;
      }
    }
    p->data = orig;
  }
}

} // namespace dlc::test
