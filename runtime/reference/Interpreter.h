// The reference interpreter: executes any IR graph with plain loops. Slow and
// obviously correct; the oracle every backend is compared against.
//
// Floating-point accumulations (matmul, conv, reductions, softmax sums) run in
// double and round once, so results are at least as accurate as any backend's.
// Integer ops are exact in int64 and wrap to their dtype's width; integer
// division by zero and out-of-range Gather indices are errors, not crashes.
// Training-mode Dropout draws its keep mask from splitmix64 of (seed, step
// input if any, element index): the same mask on every run and machine, a new
// one each training step. Training-mode BatchNorm normalizes with the biased
// batch variance and updates the running variance with the unbiased one
// (PyTorch) or, with unbiased=0, the biased one (ONNX).
#pragma once

#include "ir/IR.h"

#include <map>
#include <string>
#include <vector>

namespace dlc {

struct InterpretResult {
  std::vector<Tensor> outputs; // in graph output order
  // The graph's updates: new values of params and states, by name.
  std::map<std::string, Tensor> updates;
};

// Writes a run's updates into the graph's params and states, so the next run
// (the next training step) starts from them.
void applyUpdates(Graph &g, const InterpretResult &r);

// Runs `g` on `inputs` (by graph input name; every input is required, dtype
// and shape must match the declared type with symbolic dims bound
// consistently). Params, states and constants take their data, or are
// materialized from their initializer spec. Errors name the node and op.
Expected<InterpretResult> interpret(const Graph &g,
                                    const std::map<std::string, Tensor> &inputs);

} // namespace dlc
