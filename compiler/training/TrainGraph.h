// From a model to its entry points: the training step, evaluation and
// inference, each a graph.
//
// The training step (buildTrainStep) puts Dropout and BatchNorm in training
// mode (a fresh dropout mask per step; BatchNorm running statistics become
// state updated in place), appends the weighted losses and the L1/L2
// penalties, derives the gradients of every trainable parameter that no
// freeze pattern matches, clips them by global norm if asked, and appends the
// optimizer's updates. It adds two scalar inputs: `lr` (f32, this step's
// learning rate) and `step` (i64, the 1-based step number). Its outputs are
// `loss` followed by the model's own outputs (for metrics).
//
// Evaluation (buildEvalStep) runs the model with Dropout off and BatchNorm on
// its running statistics, and adds `loss` when the spec has losses.
// Inference (buildInferStep) is evaluation without losses.
#pragma once

#include "ir/IR.h"

namespace dlc {

// Checks the spec against the model without changing it: losses present,
// optimizer and hyper-parameters known and valid, freeze patterns matching.
Status checkTrainSpec(const Graph &g, const TrainSpec &spec);

Status buildTrainStep(Graph &g, const TrainSpec &spec);
Status buildEvalStep(Graph &g, const TrainSpec &spec);
Status buildInferStep(Graph &g);

} // namespace dlc
