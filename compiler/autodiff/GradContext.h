// What a gradient rule sees and uses: the forward node, the adjoints of its
// outputs, and a small vocabulary of core ops to write the backward math in.
//
// A rule reads dy(i) (dL/d output i; null when no gradient reaches that
// output) and calls setGrad(i, v) with dL/d input i for each input that
// needs(i). Gradients must have the input's exact type: rules undo numpy
// broadcasting with sumTo(). Emission helpers never fail on a graph that
// verified; if one does, the error is latched and the pass reports it as our
// bug with the node it came from.
#pragma once

#include "ir/Builder.h"

#include <optional>

namespace dlc {

class GradContext {
public:
  GradContext(Graph &g, const Node &n, std::vector<Value *> dys,
              std::vector<bool> needs);
  // For emitting outside any rule (the loss seed, sums of adjoints).
  GradContext(Graph &g, std::string base) : g_(g), base_(std::move(base)) {}

  const Node &node() const { return *n_; }
  Value *x(size_t i) const { return n_->inputs[i]; }
  Value *y(size_t i) const { return n_->outputs[i]; }
  Value *dy(size_t i) const { return i < dys_.size() ? dys_[i] : nullptr; }
  bool needs(size_t i) const { return i < needs_.size() && needs_[i]; }
  void setGrad(size_t i, Value *g);
  Value *grad(size_t i) const { return grads_[i]; }
  // A rule that needs an extra forward output (Dropout's mask) asks for it.
  Graph &graph() { return g_; }

  // --- emission: each returns the new value (null once an error latched) ---
  Value *op(OpKind op, std::vector<Value *> ins, std::map<std::string, Attr> attrs = {});
  std::vector<Value *> opMulti(OpKind op, std::vector<Value *> ins,
                               std::map<std::string, Attr> attrs, size_t outputs);
  Value *add(Value *a, Value *b) { return op(OpKind::Add, {a, b}); }
  Value *sub(Value *a, Value *b) { return op(OpKind::Sub, {a, b}); }
  Value *mul(Value *a, Value *b) { return op(OpKind::Mul, {a, b}); }
  Value *div(Value *a, Value *b) { return op(OpKind::Div, {a, b}); }
  Value *neg(Value *a) { return op(OpKind::Neg, {a}); }
  Value *where(Value *c, Value *a, Value *b) { return op(OpKind::Where, {c, a, b}); }
  // A scalar constant of `like`'s dtype.
  Value *scalar(double v, const Value *like);
  // Zeros with `like`'s type (symbolic dims expand at run time).
  Value *zerosLike(const Value *like);
  Value *reshape(Value *v, const Dims &dims);
  // Sums `g` over the axes numpy broadcasting added or stretched, so the
  // result has exactly type `t` (the inverse of broadcasting `t` to g).
  Value *sumTo(Value *g, const TensorType &t);
  // Broadcasts `g` (a reduction's result with keepdims=1) back to `t`.
  Value *expandTo(Value *g, const TensorType &t);

  std::optional<Error> takeError() { return std::move(err_); }

private:
  Graph &g_;
  const Node *n_ = nullptr;
  std::vector<Value *> dys_;
  std::vector<bool> needs_;
  std::vector<Value *> grads_;
  std::optional<Error> err_;
  std::string base_; // name prefix of emitted values
};

// A gradient rule: one per differentiable op (GradRules.def).
using GradRule = void (*)(GradContext &);
// Null when the op has no rule.
GradRule findGradRule(OpKind op);

} // namespace dlc
