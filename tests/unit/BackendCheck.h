// Backend conformance: every node of a .dlg graph, compiled to a Halide kernel
// (JIT, this machine's target), must equal the reference interpreter on
// random inputs. Symbolic dims are bound from `syms`. Floats compare with
// |got - want| <= atol + rtol * |want|; integers and bools exactly.
#pragma once

#include "codegen/Kernel.h"
#include "frontend/dlg/Parser.h"
#include "runtime/reference/Interpreter.h"
#include "training/Initializers.h"

#include <gtest/gtest.h>

#include <cmath>

namespace dlc::test {

struct BackendCheckOptions {
  std::map<std::string, int64_t> syms{{"N", 3}};
  double rtol = 1e-5, atol = 1e-6;
  uint64_t seed = 7;
  // Keep inputs away from 0 (for Log, Div, Sqrt, Pow).
  bool positive = false;
  // Floats drawn as small integers too (as integer dtypes are): many ties.
  bool integral = false;
};

inline Tensor randomTensor(const TensorType &t, const BackendCheckOptions &o, uint64_t &s) {
  std::vector<int64_t> shape;
  for (const Dim &d : t.dims)
    shape.push_back(d.isStatic() ? d.value : o.syms.at(d.sym));
  Tensor x(t.dtype, shape);
  for (int64_t i = 0; i < x.numel(); ++i) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    double u = ((z ^ (z >> 31)) >> 11) * 0x1.0p-53; // [0, 1)
    double v = o.positive ? 0.5 + 2 * u : 4 * u - 2;
    if (t.dtype == DType::Bool)
      v = u < 0.5;
    else if (!dlrt::isFloat(t.dtype) || o.integral)
      v = std::floor(v * 3);
    x.setDouble(i, v);
  }
  return x;
}

inline void expectClose(const Tensor &got, const Tensor &want, const BackendCheckOptions &o,
                        const std::string &what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  int bad = 0;
  for (int64_t i = 0; i < got.numel() && bad < 5; ++i) {
    double g = got.getDouble(i), w = want.getDouble(i);
    bool ok = dlrt::isFloat(got.dtype())
                  ? (std::isnan(g) && std::isnan(w)) || g == w ||
                        std::fabs(g - w) <= o.atol + o.rtol * std::fabs(w)
                  : got.getInt(i) == want.getInt(i);
    if (!ok) {
      ADD_FAILURE() << what << " [" << i << "]: halide " << g << ", reference " << w;
      ++bad;
    }
  }
}

// Checks each node of the graph in isolation.
inline void checkBackend(const std::string &text, BackendCheckOptions o = {}) {
  auto parsed = parseDlg(text, "backend.dlg", "");
  ASSERT_TRUE(bool(parsed)) << parsed.error().message();
  Graph &g = **parsed;
  uint64_t s = o.seed;
  for (const auto &np : g.nodes()) {
    const Node &n = *np;
    codegen::KernelGroup kg = codegen::singleNodeGroup(n);
    std::vector<Tensor> ins;
    Graph one;
    std::vector<Value *> oneIns;
    std::map<std::string, Tensor> feeds;
    for (const Value *v : kg.inputs) {
      Tensor t;
      if (v->isPersistent() || v->isConst()) {
        auto m = materializeParam(*v);
        ASSERT_TRUE(bool(m)) << m.error().message();
        t = *m;
      } else {
        t = randomTensor(v->type, o, s);
      }
      ins.push_back(t);
      feeds[v->name] = t;
      one.addInput(v->name, v->type);
    }
    for (Value *in : n.inputs)
      oneIns.push_back(in ? one.lookup(in->name) : nullptr);
    std::vector<std::string> names;
    for (const Value *out : n.outputs)
      names.push_back(out->name);
    Node *copy = one.addNode(n.op, n.name, oneIns, n.attrs, names);
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      copy->outputs[i]->type = n.outputs[i]->type;
      one.addOutput(names[i], copy->outputs[i]);
    }
    auto want = interpret(one, feeds);
    ASSERT_TRUE(bool(want)) << want.error().message();
    auto got = codegen::runKernelJit(kg, ins, codegen::hostTarget());
    ASSERT_TRUE(bool(got)) << n.describe() << ": " << got.error().message();
    for (size_t i = 0; i < n.outputs.size(); ++i)
      expectClose((*got)[i], want->outputs[i], o, n.describe() + " output " + std::to_string(i));
  }
}

} // namespace dlc::test
