// The reverse-mode pass: activity analysis, the rule check, and the sweep
// that accumulates adjoints.
#include "autodiff/Autodiff.h"

#include "autodiff/GradContext.h"

#include <set>

namespace dlc {

Expected<std::map<const Value *, Value *>>
buildGradients(Graph &g, Value *loss, const std::vector<Value *> &wrt) {
  if (loss->type.rank() != 0 || !dlrt::isFloat(loss->type.dtype))
    return Error("the loss '" + loss->name + "' must be a float scalar, got " +
                 loss->type.str());
  std::vector<Node *> forward;
  for (const auto &n : g.nodes())
    forward.push_back(n.get());

  // Active values: float values that depend on some wrt value and that the
  // loss depends on. Only they carry adjoints.
  std::set<const Value *> dependsOnWrt(wrt.begin(), wrt.end()), lossNeeds{loss};
  for (Node *n : forward) {
    bool any = false;
    for (Value *in : n->inputs)
      any |= in && dependsOnWrt.count(in);
    if (any)
      for (Value *o : n->outputs)
        if (dlrt::isFloat(o->type.dtype))
          dependsOnWrt.insert(o);
  }
  for (auto it = forward.rbegin(); it != forward.rend(); ++it) {
    bool any = false;
    for (Value *o : (*it)->outputs)
      any |= lossNeeds.count(o) != 0;
    if (any)
      for (Value *in : (*it)->inputs)
        if (in)
          lossNeeds.insert(in);
  }
  auto active = [&](const Value *v) {
    return v && dependsOnWrt.count(v) && lossNeeds.count(v);
  };

  // Every node on a path from a parameter to the loss needs a rule.
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> missing;
  for (Node *n : forward) {
    bool out = false, in = false;
    for (Value *o : n->outputs)
      out |= active(o);
    for (Value *i : n->inputs)
      in |= active(i);
    if (out && in && !findGradRule(n->op)) {
      std::string op = opName(n->op);
      if (!missing.count(op))
        order.push_back(op);
      missing[op].push_back(n->name);
    }
  }
  if (!missing.empty()) {
    std::string msg = "no gradient rule for ";
    for (size_t k = 0; k < order.size(); ++k) {
      auto &names = missing[order[k]];
      msg += (k ? "; " : "") + order[k] + (names.size() == 1 ? " (node " : " (nodes ");
      for (size_t j = 0; j < names.size(); ++j)
        msg += (j ? ", '" : "'") + names[j] + "'";
      msg += ")";
    }
    return Error(msg);
  }

  // The sweep. adjoint[v] = dL/dv, summed over v's uses.
  std::map<const Value *, Value *> adjoint;
  {
    GradContext seed(g, loss->name);
    adjoint[loss] = seed.scalar(1.0, loss);
  }
  for (auto it = forward.rbegin(); it != forward.rend(); ++it) {
    Node &n = **it;
    std::vector<Value *> dys;
    bool anyDy = false;
    for (Value *o : n.outputs) {
      auto a = adjoint.find(o);
      dys.push_back(a == adjoint.end() ? nullptr : a->second);
      anyDy |= a != adjoint.end();
    }
    std::vector<bool> needs;
    bool anyNeed = false;
    for (Value *in : n.inputs) {
      needs.push_back(active(in));
      anyNeed |= needs.back();
    }
    if (!anyDy || !anyNeed)
      continue;
    GradContext c(g, n, dys, needs);
    findGradRule(n.op)(c);
    if (auto err = c.takeError())
      return Error("internal error in the gradient rule of " + n.describe() + ": " +
                   err->message());
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      Value *gi = c.grad(i);
      if (!needs[i] || !gi)
        continue;
      DLC_ASSERT(gi->type == n.inputs[i]->type, "gradient rule gave a gradient "
                                                "of the wrong type");
      auto a = adjoint.find(n.inputs[i]);
      if (a == adjoint.end()) {
        adjoint[n.inputs[i]] = gi;
      } else {
        GradContext acc(g, n.inputs[i]->name + ".grad");
        a->second = acc.add(a->second, gi);
        if (auto err = acc.takeError())
          return Error("internal error summing gradients: " + err->message());
      }
    }
  }

  std::map<const Value *, Value *> result;
  for (Value *w : wrt) {
    auto a = adjoint.find(w);
    if (a != adjoint.end()) {
      result[w] = a->second;
    } else {
      GradContext z(g, w->name + ".grad");
      result[w] = z.zerosLike(w);
    }
  }
  return result;
}

} // namespace dlc
