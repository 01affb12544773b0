// Backend conformance of fused kernels: a .dlg graph grouped by
// codegen::groupNodes (a heavy op with its element-wise epilogue, chains of
// element-wise nodes), each group compiled to one Halide kernel (JIT, this
// machine's target) and run in order, must give the reference interpreter's
// graph outputs on random inputs. Returns the groups, so a test can state
// which fusion it expects.
#pragma once

#include "BackendCheck.h"

namespace dlc::test {

// Each group as "node node ...", in execution order.
inline std::vector<std::string> groupNames(const std::vector<codegen::KernelGroup> &groups) {
  std::vector<std::string> out;
  for (const codegen::KernelGroup &kg : groups) {
    std::string s;
    for (const Node *n : kg.nodes)
      s += (s.empty() ? "" : " ") + n->name;
    out.push_back(s);
  }
  return out;
}

// A kernel's inputs from env; parameters and constants are materialized
// into env on first use. False (a test failure added) if one cannot be.
inline bool kernelInputs(const codegen::KernelGroup &kg, std::map<const Value *, Tensor> &env,
                         std::vector<Tensor> &ins) {
  for (const Value *v : kg.inputs) {
    if (!env.count(v)) {
      auto m = materializeParam(*v);
      EXPECT_TRUE(bool(m)) << m.error().message();
      if (!m)
        return false;
      env[v] = *m;
    }
    ins.push_back(env.at(v));
  }
  return true;
}

// Runs the groups of `text` as kernels grouped and compiled for `t` (a
// target this machine runs) and compares every graph output with the
// interpreter's.
inline std::vector<std::string> checkGroups(const std::string &text, BackendCheckOptions o = {},
                                            const Halide::Target &t = codegen::hostTarget()) {
  auto parsed = parseDlg(text, "groups.dlg", "");
  EXPECT_TRUE(bool(parsed)) << parsed.error().message();
  if (!parsed)
    return {};
  Graph &g = **parsed;
  uint64_t s = o.seed;
  std::map<std::string, Tensor> feeds;
  std::map<const Value *, Tensor> env;
  for (const Value *v : g.inputs()) {
    Tensor x = randomTensor(v->type, o, s);
    feeds[v->name] = x;
    env[v] = x;
  }
  auto want = interpret(g, feeds);
  EXPECT_TRUE(bool(want)) << want.error().message();
  if (!want)
    return {};
  std::vector<codegen::KernelGroup> groups = codegen::groupNodes(g, t);
  for (const codegen::KernelGroup &kg : groups) {
    std::vector<Tensor> ins;
    if (!kernelInputs(kg, env, ins))
      return {};
    auto got = codegen::runKernelJit(kg, ins, t, o.syms);
    EXPECT_TRUE(bool(got)) << kg.nodes.front()->describe() << ": " << got.error().message();
    if (!got)
      return {};
    for (size_t i = 0; i < kg.outputs.size(); ++i)
      env[kg.outputs[i]] = (*got)[i];
  }
  for (size_t i = 0; i < g.outputs().size(); ++i) {
    const auto &[name, v] = g.outputs()[i];
    EXPECT_TRUE(env.count(v)) << name << " was not computed";
    if (env.count(v))
      expectClose(env.at(v), want->outputs[i], o, "output " + name);
  }
  return groupNames(groups);
}

} // namespace dlc::test
