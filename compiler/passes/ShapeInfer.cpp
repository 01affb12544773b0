// shape-infer: recomputes every node's output types in order, so a change to
// an input's type (or an edited graph) propagates.
#include "ir/ShapeInference.h"
#include "passes/PassRegistry.h"

namespace dlc {

Expected<bool> runShapeInfer(Graph &g) {
  bool changed = false;
  for (const auto &n : g.nodes()) {
    std::vector<TensorType> before;
    for (Value *o : n->outputs)
      before.push_back(o->type);
    DLC_CHECK(inferTypes(*n));
    for (size_t i = 0; i < before.size(); ++i)
      changed |= before[i] != n->outputs[i]->type;
  }
  return changed;
}

} // namespace dlc
