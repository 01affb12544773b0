// The reference interpreter: executes any IR graph with plain loops. Slow and
// obviously correct; the oracle every backend is compared against.
//
// Floating-point accumulations (matmul, conv, reductions, softmax sums) run in
// double and round once, so results are at least as accurate as any backend's.
#pragma once

#include "ir/IR.h"

#include <map>
#include <string>
#include <vector>

namespace dlc {

struct InterpretResult {
  std::vector<Tensor> outputs; // in graph output order
};

// Runs `g` on `inputs` (by graph input name; every input is required, dtype
// and shape must match the declared type with symbolic dims bound
// consistently). Params and constants take their data, or are materialized
// from their initializer spec. Errors name the node and op.
Expected<InterpretResult> interpret(const Graph &g,
                                    const std::map<std::string, Tensor> &inputs);

} // namespace dlc
