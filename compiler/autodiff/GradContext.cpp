// Emission helpers for gradient rules.
#include "autodiff/GradContext.h"

namespace dlc {

GradContext::GradContext(Graph &g, const Node &n, std::vector<Value *> dys,
                         std::vector<bool> needs)
    : Emitter(g, n.name + ".bwd"), n_(&n), dys_(std::move(dys)),
      needs_(std::move(needs)), grads_(n.inputs.size(), nullptr) {}

void GradContext::setGrad(size_t i, Value *g) {
  DLC_ASSERT(i < grads_.size(), "gradient for an input the node does not have");
  grads_[i] = g;
}

GradRule findGradRule(OpKind op) {
#define DLC_GRAD(Op, Function) void Function(GradContext &);
#include "autodiff/GradRules.def"
  switch (op) {
#define DLC_GRAD(Op, Function)                                                 \
  case OpKind::Op:                                                             \
    return Function;
#include "autodiff/GradRules.def"
  default:
    return nullptr;
  }
}

} // namespace dlc
