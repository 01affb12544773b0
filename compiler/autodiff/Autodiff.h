// Reverse-mode automatic differentiation over the core op set.
//
// buildGradients appends to the graph the backward pass of a scalar `loss`
// with respect to `wrt` (the trainable parameters): adjoints flow from the
// loss through the nodes in reverse topological order, each node's gradient
// rule (GradRules.def) turning its output adjoints into input adjoints; a
// value used several times gets the sum of its adjoints. Only values on a
// path from some wrt value to the loss get adjoints; everything else is
// pruned. If any node on such a path has an op without a rule, one error lists
// every such op with its nodes, before anything is added.
#pragma once

#include "ir/IR.h"

#include <map>

namespace dlc {

// dL/dw for each w in wrt. A w the loss does not depend on gets zeros.
Expected<std::map<const Value *, Value *>>
buildGradients(Graph &g, Value *loss, const std::vector<Value *> &wrt);

} // namespace dlc
