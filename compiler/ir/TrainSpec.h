// A model's training intent: which outputs feed which losses against which
// labels, the optimizer and its hyper-parameters, frozen parameters,
// penalties and gradient clipping. Plain data: the .dlg `train { ... }` block
// and dlc's --train flags fill it; compiler/training turns it into a graph.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace dlc {

struct LossTerm {
  // mse, l1, huber, bce, bce_with_logits, cross_entropy (integer class
  // labels), cross_entropy_probs (probability / one-hot targets), nll.
  std::string kind;
  std::string output; // graph output the loss reads ("" = the only output)
  std::string label;  // graph input holding the targets ("" = "label")
  double weight = 1.0;
  std::string reduction = "mean"; // mean or sum
  double delta = 1.0;             // huber's threshold
};

struct OptimizerSpec {
  // sgd, adagrad, adadelta, rmsprop, adam, adamw.
  std::string kind = "sgd";
  // Hyper-parameters by torch.optim's names (lr, momentum, dampening,
  // nesterov, weight_decay, beta1, beta2, eps, alpha, rho, centered, lr_decay,
  // initial_accumulator_value, amsgrad); missing ones take PyTorch's defaults.
  // lr here is the default; the compiled step takes the learning rate as a
  // run-time input so schedules need no recompiling.
  std::map<std::string, double> args;
};

struct TrainSpec {
  std::vector<LossTerm> losses;
  OptimizerSpec optimizer;
  std::vector<std::string> freeze; // parameter names or globs (* and ?)
  double l1 = 0, l2 = 0;           // penalties: l1 * sum|w| + l2 * sum w^2
  double clipNorm = 0;             // clip gradients to this global norm; 0: off
  // The learning-rate schedule dlrun applies (dlrt/LrSchedule.h syntax, e.g.
  // "cosine", "step:2:0.5"); "" = constant. Like lr it is a run-time matter,
  // recorded in the artifact, not compiled into the step.
  std::string lrSchedule;
  bool present = false;            // a train block or --train flags gave it
};

} // namespace dlc
