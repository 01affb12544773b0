// Optimizers as graph ops, with torch.optim's semantics and defaults.
//
// buildOptimizer appends, for each (parameter, gradient) pair, the update of
// the parameter and of its optimizer state (new `state` values named
// "<param>.<slot>", e.g. "fc.weight.exp_avg", initialized as PyTorch does),
// and registers them as graph updates. `lr` is an f32 scalar graph input (the
// learning rate of this step) and `step` an i64 scalar input holding the
// 1-based number of the step being taken (bias corrections, first-step
// momentum).
//
//   sgd      lr, momentum=0, dampening=0, nesterov=0, weight_decay=0
//   adagrad  lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
//            eps=1e-10
//   adadelta lr=1.0, rho=0.9, eps=1e-6, weight_decay=0
//   rmsprop  lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
//            centered=0
//   adam     lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0, amsgrad=0
//   adamw    as adam, weight_decay=1e-2 (decoupled)
#pragma once

#include "ir/IR.h"
#include "ir/TrainSpec.h"

namespace dlc {

// Unknown optimizer, unknown hyper-parameter, or an invalid value (a
// negative learning rate, a beta outside [0, 1), nesterov without momentum).
Status checkOptimizerSpec(const OptimizerSpec &spec);
// The default learning rate of the spec (its lr, else PyTorch's default).
double defaultLearningRate(const OptimizerSpec &spec);

Status buildOptimizer(Graph &g, const OptimizerSpec &spec,
                      const std::vector<std::pair<Value *, Value *>> &paramGrads,
                      Value *lr, Value *step);

} // namespace dlc
