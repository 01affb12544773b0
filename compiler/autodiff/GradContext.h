// What a gradient rule sees and uses: the forward node, the adjoints of its
// outputs, and the Emitter's vocabulary of core ops to write the math in.
//
// A rule reads dy(i) (dL/d output i; null when no gradient reaches that
// output) and calls setGrad(i, v) with dL/d input i for each input that
// needs(i). Gradients must have the input's exact type: rules undo numpy
// broadcasting with sumTo(). Emission helpers never fail on a graph that
// verified; if one does, the error is latched and the pass reports it as our
// bug with the node it came from.
#pragma once

#include "ir/Emitter.h"

namespace dlc {

class GradContext : public Emitter {
public:
  GradContext(Graph &g, const Node &n, std::vector<Value *> dys,
              std::vector<bool> needs);
  // For emitting outside any rule (the loss seed, sums of adjoints).
  GradContext(Graph &g, std::string base) : Emitter(g, std::move(base)) {}

  const Node &node() const { return *n_; }
  Value *x(size_t i) const { return n_->inputs[i]; }
  Value *y(size_t i) const { return n_->outputs[i]; }
  Value *dy(size_t i) const { return i < dys_.size() ? dys_[i] : nullptr; }
  bool needs(size_t i) const { return i < needs_.size() && needs_[i]; }
  void setGrad(size_t i, Value *g);
  Value *grad(size_t i) const { return grads_[i]; }
  // A rule that cannot proceed (our bug, or a graph the pipeline should
  // have prepared) latches an error.
  void fail(const std::string &message) {
    if (!err_)
      err_ = Error(message);
  }

private:
  const Node *n_ = nullptr;
  std::vector<Value *> dys_;
  std::vector<bool> needs_;
  std::vector<Value *> grads_;
};

// A gradient rule: one per differentiable op (GradRules.def).
using GradRule = void (*)(GradContext &);
// Null when the op has no rule.
GradRule findGradRule(OpKind op);

} // namespace dlc
