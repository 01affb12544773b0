// Losses as core-op subgraphs, with PyTorch's definitions (torch.nn.functional).
//
//   mse                 mean((y - t)^2)
//   l1                  mean(|y - t|)
//   huber               mean(0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta))
//   bce                 -mean(t log(p) + (1 - t) log(1 - p)), log clamped at -100
//   bce_with_logits     mean(max(x, 0) - x t + log(1 + exp(-|x|)))
//   cross_entropy       -mean(log_softmax(x)[i, label_i]) over the class axis 1
//   cross_entropy_probs -mean(sum_c t_c log_softmax(x)_c)
//   nll                 -mean(x[i, label_i]) on log-probabilities
// `reduction=sum` sums instead of averaging. Labels are graph inputs: an i64
// tensor of class indices shaped like the output without axis 1, or a float
// tensor shaped like the output.
#pragma once

#include "ir/IR.h"
#include "ir/TrainSpec.h"

namespace dlc {

// Checks the term against the graph (the output exists, the label has the
// right dtype and shape, creating the label input if the graph lacks it) and
// appends the weighted loss. Returns the scalar loss value.
Expected<Value *> buildLoss(Graph &g, const LossTerm &term);

} // namespace dlc
